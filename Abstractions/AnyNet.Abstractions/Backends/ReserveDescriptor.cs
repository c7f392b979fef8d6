using Microsoft.Win32.SafeHandles;

namespace AnyNet.Backends;

/// <summary>
/// One spare file descriptor a listener keeps for the moment the process runs out (EMFILE/ENFILE): closing it frees a
/// slot to accept the connection at the head of the backlog and close it at once, then the spare is opened again.
/// Without it a level-triggered poller reports the listener readable forever and a server spins, and an edge-triggered
/// one never hears of that connection again. The trick is libuv's (uv__emfile_trick) and the one its documentation
/// and nginx's users recommend. Backend authors use it in their accept loop.
/// </summary>
public sealed class ReserveDescriptor : IDisposable
{
    private readonly Lock _gate = new();
    private SafeFileHandle? _spare;
    private bool _disposed;

    /// <summary>Opens the spare (on <c>/dev/null</c>); if even that fails the listener simply has none.</summary>
    public ReserveDescriptor() => _spare = TryOpen();

    /// <summary>True while the spare is held.</summary>
    public bool IsHeld
    {
        get
        {
            lock (_gate)
            {
                return _spare is not null;
            }
        }
    }

    /// <summary>
    /// Closes the spare, runs <paramref name="shed"/> (which accepts one connection and closes it), and opens the spare
    /// again. Returns false, without running <paramref name="shed"/>, when there is no spare to give up.
    /// </summary>
    /// <param name="shed">Accepts and closes one pending connection.</param>
    /// <returns>True when the spare was given up for <paramref name="shed"/>.</returns>
    public bool ShedWith(Action shed)
    {
        ArgumentNullException.ThrowIfNull(shed);
        lock (_gate)
        {
            if (_spare is null || _disposed)
            {
                return false;
            }

            _spare.Dispose();
            _spare = null;
            try
            {
                shed();
            }
            finally
            {
                _spare = TryOpen();
            }

            return true;
        }
    }

    /// <summary>Opens the spare again if an earlier attempt found no descriptor for it.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            if (_spare is null && !_disposed)
            {
                _spare = TryOpen();
            }
        }
    }

    /// <summary>Closes the spare for good.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _spare?.Dispose();
            _spare = null;
        }
    }

    private static SafeFileHandle? TryOpen()
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            return File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
