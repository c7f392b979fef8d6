using System.Threading.Tasks.Sources;

// CA2012 wants a ValueTask awaited once; this file is what an await compiles to, by hand: the receive's ValueTask is
// kept until its continuation runs, and its result is taken exactly once, after it completed.
#pragma warning disable CA2012

namespace AnyNet;

public partial class BufferedByteReceiveStream
{
    /// <summary>
    /// The waiting part of <see cref="PeekAsync"/>: one reusable awaitable per stream (a stream allows one call at a
    /// time), which receives until enough bytes are buffered and then resumes the caller.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Why not an async method: the awaitable of a pooled async method (like any <see cref="ManualResetValueTaskSourceCore{T}"/>
    /// that captured a synchronization context) always posts its awaiter's continuation to that context, even when it
    /// completes on it. On a loop backend that is one queue hop, one allocation and one more resumption per request for
    /// a protocol loop built on <see cref="PeekAsync"/> (MiniRedis at <c>-P 1</c>). A <see cref="Task"/> awaited on a
    /// synchronization context already resumes inline when it completes on that same context
    /// (<c>SynchronizationContextAwaitTaskContinuation</c>); this does the same: it completes inside the continuation of
    /// the wrapped receive, which its awaitable ran on the captured context, so resuming the caller right there is what
    /// the post would have done, one hop earlier. Completions anywhere else are posted to the context as before.
    /// </para>
    /// <para>
    /// Busy rule: the stream's busy flag is released before the caller resumes (as the async methods' <c>finally</c>
    /// does); the operation itself stays in use until the caller took the result, and a peek started before that takes
    /// the async path instead.
    /// </para>
    /// </remarks>
    private sealed class PeekOperation : IValueTaskSource<ReadOnlyMemory<byte>>
    {
        private static readonly Action<object?> s_resume = static state =>
        {
            var operation = (PeekOperation)state!;
            if (SynchronizationContext.Current == operation._context)
            {
                operation.RunContinuation();
            }
            else
            {
                operation._context!.Post(static s => ((PeekOperation)s!).RunContinuation(), operation);
            }
        };

        private readonly BufferedByteReceiveStream _stream;
        private readonly Action _onReceived;
        private ManualResetValueTaskSourceCore<ReadOnlyMemory<byte>> _core;
        private ValueTask<int> _receive;
        private CancellationToken _cancellationToken;
        private int _minimumBytes;
        private int _inUse;
        private SynchronizationContext? _context;
        private Action<object?>? _continuation;
        private object? _continuationState;

        public PeekOperation(BufferedByteReceiveStream stream)
        {
            _stream = stream;
            _onReceived = OnReceived;
        }

        /// <summary>True from <see cref="Start"/> until the caller took the result.</summary>
        public bool IsInUse => Volatile.Read(ref _inUse) != 0;

        /// <summary>Runs the peek; the stream was entered (busy) by the caller, and this operation exits it.</summary>
        public ValueTask<ReadOnlyMemory<byte>> Start(int minimumBytes, CancellationToken cancellationToken)
        {
            _core.Reset();
            _minimumBytes = minimumBytes;
            _cancellationToken = cancellationToken;
            if (!Step(out ReadOnlyMemory<byte> view, out Exception? error))
            {
                _inUse = 1;
                return new ValueTask<ReadOnlyMemory<byte>>(this, _core.Version);
            }

            _cancellationToken = default;
            if (error is null)
            {
                return new ValueTask<ReadOnlyMemory<byte>>(view);
            }

            // Through the core, so a cancellation is reported as cancelled, with the original exception, exactly as
            // an async method reports it.
            _inUse = 1;
            _core.SetException(error);
            return new ValueTask<ReadOnlyMemory<byte>>(this, _core.Version);
        }

        /// <summary>Receives until enough is buffered: true when finished (a view, or an error), false when waiting.</summary>
        private bool Step(out ReadOnlyMemory<byte> view, out Exception? error)
        {
            BufferedByteReceiveStream stream = _stream;
            view = default;
            error = null;
            while (stream._end - stream._start < _minimumBytes)
            {
                int received;
                try
                {
                    ValueTask<int> receive = stream._inner.ReceiveAsync(stream.FreeSpace(_minimumBytes), _cancellationToken);
                    if (!receive.IsCompleted)
                    {
                        _receive = receive;
                        receive.GetAwaiter().UnsafeOnCompleted(_onReceived);
                        return false;
                    }

                    received = receive.GetAwaiter().GetResult();
                }
                catch (Exception failure)
                {
                    error = failure;
                    stream.Exit();
                    return true;
                }

                stream._end += received;
                if (received == 0)
                {
                    error = Incomplete(stream._end - stream._start, _minimumBytes);
                    stream.Exit();
                    return true;
                }
            }

            view = stream.Buffered;
            stream.Exit();
            return true;
        }

        private void OnReceived()
        {
            ValueTask<int> receive = _receive;
            _receive = default;
            ReadOnlyMemory<byte> view;
            Exception? error;
            try
            {
                // This runs as the receive's continuation, so it has completed.
                int received = receive.GetAwaiter().GetResult();
                _stream._end += received;
                if (received == 0)
                {
                    throw Incomplete(_stream._end - _stream._start, _minimumBytes);
                }
            }
            catch (Exception failure)
            {
                _stream.Exit();
                Finish(default, failure);
                return;
            }

            if (Step(out view, out error))
            {
                Finish(view, error);
            }
        }

        private void Finish(ReadOnlyMemory<byte> view, Exception? error)
        {
            _cancellationToken = default;
            if (error is null)
            {
                _core.SetResult(view);
            }
            else
            {
                _core.SetException(error);
            }
        }

        private void RunContinuation()
        {
            Action<object?> continuation = _continuation!;
            object? state = _continuationState;
            _continuation = null;
            _continuationState = null;
            _context = null;
            continuation(state);
        }

        public ReadOnlyMemory<byte> GetResult(short token)
        {
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                Volatile.Write(ref _inUse, 0);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            // Async methods await with UseSchedulingContext and flow the execution context themselves. Only that case
            // is taken over (a flowed execution context could not survive the post below); everything else is the
            // core's usual behaviour.
            if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0
                && (flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) == 0
                && SynchronizationContext.Current is { } context
                && context.GetType() != typeof(SynchronizationContext))
            {
                _context = context;
                _continuation = continuation;
                _continuationState = state;

                // Already completed (on another thread): the core queues s_resume to the thread pool, which posts it.
                _core.OnCompleted(s_resume, this, token, ValueTaskSourceOnCompletedFlags.None);
                return;
            }

            _core.OnCompleted(continuation, state, token, flags);
        }
    }
}
