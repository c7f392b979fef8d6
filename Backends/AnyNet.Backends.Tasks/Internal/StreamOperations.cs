using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace AnyNet.Backends.Tasks.Internal;

/// <summary>
/// The receive and the send of a <see cref="SocketStream"/> that System.Net.Sockets could not finish at once: the stream
/// itself is the reusable awaitable of each direction (<see cref="IValueTaskSource{TResult}"/> for receives,
/// <see cref="IValueTaskSource"/> for sends), forwarding the completion of the runtime's own awaitable to the caller and
/// translating its errors.
/// </summary>
/// <remarks>
/// It replaces an <c>async</c> wrapper method: that cost a pooled state-machine box, a second <c>MoveNext</c> and the
/// box's execution-context handling on every operation that waited. Here the runtime's awaitable calls back once, with
/// no context captured (<c>ConfigureAwait(false)</c>), and the caller's continuation runs from it, inline, under whatever
/// execution and synchronization context the caller's await asked for (<see cref="ManualResetValueTaskSourceCore{T}"/>
/// honours the flags). The stream's gate of each direction stays closed until the caller has taken the result, so a
/// second operation cannot reset an awaitable under the first one's feet.
/// The awaitables live in the stream object rather than in one object per direction: a waited message then touches one
/// object of AnyNet's instead of two (at 10,000 connections their state no longer fits in the caches), and an accepted
/// connection allocates two objects fewer. The A/B effect on CPU per message was within this machine's noise.
/// </remarks>
internal sealed partial class SocketStream : IValueTaskSource<int>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<int> _receiveCore;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _receivePending;
    private ManualResetValueTaskSourceCore<bool> _sendCore;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _sendPending;
    private ReadOnlyMemory<byte> _sendRemaining;
    private CancellationToken _sendCancellationToken;

    /// <summary>Waits for <paramref name="pending"/>, a receive the socket has not finished, on behalf of the caller.</summary>
    private ValueTask<int> ForwardReceive(ValueTask<int> pending)
    {
        _receiveCore.Reset();
        short version = _receiveCore.Version;
        // The field is set before the callback is hooked up, which may run at once on another thread.
        ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter awaiter = pending.ConfigureAwait(false).GetAwaiter();
        _receivePending = awaiter;
        awaiter.UnsafeOnCompleted(_onReceiveCompleted);
        return new ValueTask<int>(this, version);
    }

    private void OnReceiveCompleted()
    {
        ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter pending = _receivePending;
        _receivePending = default;
        try
        {
            _receiveCore.SetResult(pending.GetResult());
        }
        catch (Exception error)
        {
            _receiveCore.SetException(Translate(error));
        }
    }

    int IValueTaskSource<int>.GetResult(short token)
    {
        try
        {
            return _receiveCore.GetResult(token);
        }
        finally
        {
            _receiveGate.Exit();
        }
    }

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _receiveCore.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _receiveCore.OnCompleted(continuation, state, token, flags);

    /// <summary>Waits for <paramref name="pending"/>, a send of <paramref name="data"/> the socket has not finished, then sends the rest.</summary>
    private ValueTask ForwardSend(ValueTask<int> pending, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _sendCore.Reset();
        _sendRemaining = data;
        _sendCancellationToken = cancellationToken;
        short version = _sendCore.Version;
        // The field is set before the callback is hooked up, which may run at once on another thread.
        ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter awaiter = pending.ConfigureAwait(false).GetAwaiter();
        _sendPending = awaiter;
        awaiter.UnsafeOnCompleted(_onSendCompleted);
        return new ValueTask(this, version);
    }

    // Also sends what a partial send left, until everything went or an error ended it.
    private void OnSendCompleted()
    {
        try
        {
            while (true)
            {
                ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter pending = _sendPending;
                _sendPending = default;
                _sendRemaining = _sendRemaining[pending.GetResult()..];
                if (_sendRemaining.IsEmpty)
                {
                    break;
                }

                ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter next = AwaiterOf(_socket.SendAsync(_sendRemaining, SocketFlags.None, _sendCancellationToken));
                _sendPending = next;
                if (!next.IsCompleted)
                {
                    next.UnsafeOnCompleted(_onSendCompleted);
                    return;
                }
            }
        }
        catch (Exception error)
        {
            FinishSend(Translate(error));
            return;
        }

        FinishSend(null);
    }

    private static ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter AwaiterOf(ValueTask<int> pending) =>
        pending.ConfigureAwait(false).GetAwaiter();

    private void FinishSend(Exception? error)
    {
        _sendRemaining = default;
        _sendCancellationToken = default;
        if (error is null)
        {
            _sendCore.SetResult(true);
        }
        else
        {
            _sendCore.SetException(error);
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _ = _sendCore.GetResult(token);
        }
        finally
        {
            _sendGate.Exit();
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _sendCore.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _sendCore.OnCompleted(continuation, state, token, flags);
}
