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

    private ChildProcess(EventLoop loop, SafeFd pidfd, int pid, string fileName, PipeEnd? stdin, PipeEnd? stdout, PipeEnd? stderr)
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

    /// <summary>Spawns the child (loop thread) and starts watching it.</summary>
    public static ChildProcess Start(EventLoop loop, ProcessStartOptions options)
    {
        SpawnedProcess spawned = PosixSpawn.Spawn(options);
        var child = new ChildProcess(
            loop,
            new SafeFd(spawned.PidFd),
            spawned.Pid,
            options.FileName,
            spawned.StandardInputFd < 0 ? null : new PipeEnd(loop, new SafeFd(spawned.StandardInputFd), isReader: false, "standard input"),
            spawned.StandardOutputFd < 0 ? null : new PipeEnd(loop, new SafeFd(spawned.StandardOutputFd), isReader: true, "standard output"),
            spawned.StandardErrorFd < 0 ? null : new PipeEnd(loop, new SafeFd(spawned.StandardErrorFd), isReader: true, "standard error"));
        child.StartWatching();
        return child;
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

    protected override void OnClosed()
    {
        // The loop is stopping (backend disposed) with the child still running: kill it and reap it off the loop, so
        // neither a child nor a zombie outlives the backend. (The pidfd is closed; the pid stays ours until reaped.)
        if (!_exited.Task.IsCompleted)
        {
            PosixSpawn.KillUnreaped(Pid);
            int pid = Pid;
            TaskCompletionSource<int> exited = _exited;
            _ = Task.Run(() => exited.TrySetResult(PosixSpawn.Reap(pid)));
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
            _ = PosixSpawn.Signal(_pidfd.Fd, signal);
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

    private bool TryReap()
    {
        if (PosixSpawn.TryReap(Pid) is not { } exitCode)
        {
            return false;
        }

        _exited.TrySetResult(exitCode);
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
