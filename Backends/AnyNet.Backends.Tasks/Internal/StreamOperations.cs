using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace AnyNet.Backends.Tasks.Internal;

/// <summary>
/// The receive of a <see cref="SocketStream"/> that System.Net.Sockets could not finish at once: one reusable awaitable
/// per stream that forwards the completion of the runtime's own awaitable to the caller, translating its errors.
/// </summary>
/// <remarks>
/// It replaces an <c>async</c> wrapper method: that cost a pooled state-machine box, a second <c>MoveNext</c> and the
/// box's execution-context handling on every operation that waited. Here the runtime's awaitable calls back once, with
/// no context captured (<c>ConfigureAwait(false)</c>), and the caller's continuation runs from it, under whatever
/// execution and synchronization context the caller's await asked for (<see cref="ManualResetValueTaskSourceCore{T}"/>
/// honours the flags). The stream's receive gate stays closed until the caller has taken the result, so a second
/// receive cannot reset this awaitable under the first one's feet.
/// </remarks>
internal sealed class StreamReceive : IValueTaskSource<int>
{
    private readonly SocketStream _stream;
    private readonly Action _onSocketCompleted;
    private ManualResetValueTaskSourceCore<int> _core;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _pending;

    public StreamReceive(SocketStream stream)
    {
        _stream = stream;
        _onSocketCompleted = OnSocketCompleted;
    }

    /// <summary>Waits for <paramref name="pending"/>, a receive the socket has not finished, on behalf of the caller.</summary>
    public ValueTask<int> Forward(ValueTask<int> pending)
    {
        _core.Reset();
        short version = _core.Version;
        // The field is set before the callback is hooked up, which may run at once on another thread.
        ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter awaiter = pending.ConfigureAwait(false).GetAwaiter();
        _pending = awaiter;
        awaiter.UnsafeOnCompleted(_onSocketCompleted);
        return new ValueTask<int>(this, version);
    }

    private void OnSocketCompleted()
    {
        ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter pending = _pending;
        _pending = default;
        try
        {
            _core.SetResult(pending.GetResult());
        }
        catch (Exception error)
        {
            _core.SetException(_stream.Translate(error));
        }
    }

    public int GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _stream.ExitReceive();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>
/// The send of a <see cref="SocketStream"/> that System.Net.Sockets could not finish at once (see <see cref="StreamReceive"/>);
/// it also sends what a partial send left, until everything went or an error ended it.
/// </summary>
internal sealed class StreamSend : IValueTaskSource
{
    private readonly SocketStream _stream;
    private readonly Socket _socket;
    private readonly Action _onSocketCompleted;
    private ManualResetValueTaskSourceCore<bool> _core;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _pending;
    private ReadOnlyMemory<byte> _remaining;
    private CancellationToken _cancellationToken;

    public StreamSend(SocketStream stream, Socket socket)
    {
        _stream = stream;
        _socket = socket;
        _onSocketCompleted = OnSocketCompleted;
    }

    /// <summary>Waits for <paramref name="pending"/>, a send of <paramref name="data"/> the socket has not finished, then sends the rest.</summary>
    public ValueTask Forward(ValueTask<int> pending, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _core.Reset();
        _remaining = data;
        _cancellationToken = cancellationToken;
        short version = _core.Version;
        // The field is set before the callback is hooked up, which may run at once on another thread.
        ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter awaiter = pending.ConfigureAwait(false).GetAwaiter();
        _pending = awaiter;
        awaiter.UnsafeOnCompleted(_onSocketCompleted);
        return new ValueTask(this, version);
    }

    private void OnSocketCompleted()
    {
        try
        {
            while (true)
            {
                ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter pending = _pending;
                _pending = default;
                _remaining = _remaining[pending.GetResult()..];
                if (_remaining.IsEmpty)
                {
                    break;
                }

                ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter next = AwaiterOf(_socket.SendAsync(_remaining, SocketFlags.None, _cancellationToken));
                _pending = next;
                if (!next.IsCompleted)
                {
                    next.UnsafeOnCompleted(_onSocketCompleted);
                    return;
                }
            }
        }
        catch (Exception error)
        {
            Finish(_stream.Translate(error));
            return;
        }

        Finish(null);
    }

    private static ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter AwaiterOf(ValueTask<int> pending) =>
        pending.ConfigureAwait(false).GetAwaiter();

    private void Finish(Exception? error)
    {
        _remaining = default;
        _cancellationToken = default;
        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }

    public void GetResult(short token)
    {
        try
        {
            _ = _core.GetResult(token);
        }
        finally
        {
            _stream.ExitSend();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
