using AnyNet.Backends.Reactor.Interop;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// A child started with posix_spawn, watched through its pidfd in the loop's epoll: the pidfd turns readable when the
/// child exits (pidfd_open(2)), then waitpid(WNOHANG) reaps it on the loop. Signals go through pidfd_send_signal(2), so
/// a kill can never hit another process that reused the pid.
/// </summary>
internal sealed class ChildProcess : ReactorSocket, IAsyncProcess
{
    private readonly SafeFd _pidfd;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _fileName;
    private int _disposed;

    public ChildProcess(EventLoop loop, SafeFd pidfd, int pid, string fileName, PipeEnd? stdin, PipeEnd? stdout, PipeEnd? stderr)
        : base(loop, pidfd, Libc.EPOLLIN)
    {
        _pidfd = pidfd;
        _fileName = fileName;
        Pid = pid;
        StandardInput = stdin;
        StandardOutput = stdout;
        StandardError = stderr;
        Reader = new ExitObserver(this);
    }

    public int Pid { get; }

    public IByteSendStream? StandardInput { get; }

    public IByteReceiveStream? StandardOutput { get; }

    public IByteReceiveStream? StandardError { get; }

    public int? ExitCode => _exited.Task.IsCompletedSuccessfully ? _exited.Task.Result : null;

    protected override string Kind => "process";

    /// <summary>Starts watching (loop thread): reaps at once if the child is already gone, else waits in epoll.</summary>
    public void StartWatching()
    {
        if (TryReap())
        {
            return;
        }

        int errno = EnsureRegistered();
        if (errno != 0)
        {
            throw SocketErrors.Exception(errno, "epoll_ctl(pidfd)");
        }
    }

    public async ValueTask<int> WaitAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await _exited.Task.WaitAsync(cancellationToken);
    }

    public void Kill() => Signal(Libc.SIGKILL);

    public void Terminate() => Signal(Libc.SIGTERM);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _exited.Task;
            return;
        }

        if (StandardInput is not null)
        {
            await StandardInput.DisposeAsync();
        }

        if (StandardOutput is not null)
        {
            await ((PipeEnd)StandardOutput).DisposeAsync();
        }

        if (StandardError is not null)
        {
            await ((PipeEnd)StandardError).DisposeAsync();
        }

        if (!_exited.Task.IsCompleted)
        {
            Kill();
        }

        await _exited.Task.ConfigureAwait(false);
        await CloseAsync().ConfigureAwait(false);
    }

    public override string ToString() => $"process {Pid} ({_fileName})";

    protected override unsafe void OnClosed()
    {
        // The loop is stopping (backend disposed) with the child still running: kill it and reap it off the loop, so
        // neither a child nor a zombie outlives the backend. (The pidfd is closed; the pid stays ours until reaped.)
        if (!_exited.Task.IsCompleted)
        {
            _ = Libc.Kill(Pid, Libc.SIGKILL);
            int pid = Pid;
            TaskCompletionSource<int> exited = _exited;
            _ = Task.Run(() =>
            {
                int status;
                int result;
                while ((result = Libc.WaitPid(pid, &status, 0)) < 0 && Libc.LastErrno == Libc.EINTR)
                {
                }

                exited.TrySetResult(result == pid ? ProcessLaunch.ExitCodeFromWaitStatus(status) : 128 + Libc.SIGKILL);
            });
        }
    }

    private void Signal(int signal)
    {
        if (_exited.Task.IsCompleted)
        {
            return;
        }

        bool added = false;
        try
        {
            _pidfd.DangerousAddRef(ref added);
            // ESRCH: it exited (not yet reaped, or just reaped by the loop); nothing to signal.
            _ = Libc.Syscall(Libc.SYS_pidfd_send_signal, _pidfd.Fd, signal, 0, 0);
        }
        catch (ObjectDisposedException)
        {
            // Closed: reaped already.
        }
        finally
        {
            if (added)
            {
                _pidfd.DangerousRelease();
            }
        }
    }

    private unsafe bool TryReap()
    {
        int status;
        int result;
        while ((result = Libc.WaitPid(Pid, &status, Libc.WNOHANG)) < 0 && Libc.LastErrno == Libc.EINTR)
        {
        }

        if (result == 0)
        {
            return false;
        }

        // ECHILD would mean someone else reaped it (a SIGCHLD handler with SIG_IGN semantics): report it as killed.
        _exited.TrySetResult(result == Pid ? ProcessLaunch.ExitCodeFromWaitStatus(status) : 128 + Libc.SIGKILL);
        return true;
    }

    private sealed class ExitObserver(ChildProcess process) : LoopOperation
    {
        public override void OnReady() => process.TryReap();

        public override void Abort(Exception error)
        {
        }
    }
}
