namespace AnyNet.Hosting.Internal;

/// <summary>
/// Closes a served connection that had no traffic (no byte received or sent) for the server's idle timeout: a peer that
/// vanished without a FIN or RST (a pulled cable, a crashed host behind NAT) otherwise holds its connection and its
/// handler forever. Runs on the backend's <see cref="TimeProvider"/>, so it follows a test clock; one timer per
/// connection, re-armed for the remaining time when traffic happened meanwhile (no timer reset per byte).
/// </summary>
internal sealed class IdleTimeoutWatch : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _idleTimeout;
    private readonly CountingSocketStream _connection;
    private readonly Action _onIdle;
    private readonly ITimer _timer;
    private int _fired;

    public IdleTimeoutWatch(TimeProvider timeProvider, TimeSpan idleTimeout, CountingSocketStream connection, Action onIdle)
    {
        _timeProvider = timeProvider;
        _idleTimeout = idleTimeout;
        _connection = connection;
        _onIdle = onIdle;
        _timer = timeProvider.CreateTimer(static s => ((IdleTimeoutWatch)s!).OnTimer(), this, idleTimeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>True once the watch closed the connection.</summary>
    public bool Fired => Volatile.Read(ref _fired) != 0;

    public void Dispose() => _timer.Dispose();

    private void OnTimer()
    {
        TimeSpan quiet = _timeProvider.GetElapsedTime(_connection.LastActivity);
        if (quiet < _idleTimeout)
        {
            _ = _timer.Change(_idleTimeout - quiet, Timeout.InfiniteTimeSpan);
            return;
        }

        if (Interlocked.Exchange(ref _fired, 1) == 0)
        {
            _onIdle();
        }
    }
}
