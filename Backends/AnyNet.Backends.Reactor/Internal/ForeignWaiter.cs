using AnyNet.Backends.Reactor.Interop;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// One wait for readiness of a descriptor the backend does not own: a duplicate of it (<see cref="ForeignDescriptor"/>)
/// registered with the loop's epoll for just this wait, then unregistered and closed. Registering a duplicate keeps the
/// loop's one-registration-per-descriptor rule (several waits on one descriptor each have their own number), and adding
/// to epoll reports readiness that is already there, so a descriptor ready at once completes on the next turn.
/// </summary>
internal sealed class ForeignWaiter : ReactorSocket
{
    private readonly WaitOperation _wait;

    public ForeignWaiter(EventLoop loop, SafeFd duplicate, bool writable)
        : base(loop, duplicate, writable ? Libc.EPOLLOUT : Libc.EPOLLIN | Libc.EPOLLRDHUP) =>
        _wait = new WaitOperation(this, writable);

    protected override string Kind => "foreign descriptor wait";

    /// <summary>Waits (loop thread); the caller closes the waiter afterwards, which unregisters and closes the duplicate.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken) => _wait.Run(cancellationToken);

    private sealed class WaitOperation : LoopOperation<int>
    {
        private bool _registered;

        public WaitOperation(ForeignWaiter waiter, bool writable) : base(waiter, isReader: !writable) { }

        public ValueTask Run(CancellationToken cancellationToken) => StartVoid(cancellationToken);

        // The first attempt parks (which registers); the loop's dispatch of an event for the duplicate is the answer.
        protected override bool TryExecute(out int result, out Exception? error)
        {
            result = 0;
            error = null;
            if (!_registered)
            {
                _registered = true;
                return false;
            }

            return true;
        }
    }
}
