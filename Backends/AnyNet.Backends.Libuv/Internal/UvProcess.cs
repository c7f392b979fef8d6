using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// A child process on the libuv loop: started with posix_spawn (<see cref="PosixSpawn"/>), its exit watched by a
/// uv_poll_t on its pidfd, its stdio pipes in uv_pipe_t handles.
/// </summary>
/// <remarks>
/// Not uv_spawn: libuv 1.x reaps children from a process-wide SIGCHLD handler (uv__chld on the loop's child_watcher,
/// a uv_signal_t), which replaces the .NET runtime's SIGCHLD handler while any uv_process_t lives and resets SIGCHLD to
/// SIG_DFL when the last one closes. Either way System.Diagnostics.Process in the same process stops seeing its
/// children exit (WaitForExit hangs). A pidfd in uv_poll needs no signal handler at all.
/// </remarks>
internal sealed class UvProcess : UvHandle, IAsyncProcess
{
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _fileName;
    private int _pidfd;
    private int _disposed;

    private UvProcess(LibuvLoop loop, SpawnedProcess spawned, string fileName)
        : base(loop, Uv.HandleType.Poll)
    {
        _pidfd = spawned.PidFd;
        _fileName = fileName;
        Pid = spawned.Pid;
        CompleteInit(Uv.uv_poll_init(loop.Native, Handle, spawned.PidFd), "uv_poll_init(pidfd)");
    }

    public int Pid { get; }

    public IByteSendStream? StandardInput { get; private set; }

    public IByteReceiveStream? StandardOutput { get; private set; }

    public IByteReceiveStream? StandardError { get; private set; }

    public int? ExitCode => _exited.Task.IsCompletedSuccessfully ? _exited.Task.Result : null;

    /// <summary>Spawns and starts watching (loop thread).</summary>
    public static unsafe UvProcess Start(LibuvLoop loop, ProcessStartOptions options)
    {
        loop.ThrowIfStopping();
        SpawnedProcess spawned = PosixSpawn.Spawn(options);
        UvProcess process;
        try
        {
            process = new UvProcess(loop, spawned, options.FileName);
        }
        catch
        {
            PosixSpawn.KillUnreaped(spawned.Pid);
            _ = PosixSpawn.Reap(spawned.Pid);
            foreach (int fd in new[] { spawned.PidFd, spawned.StandardInputFd, spawned.StandardOutputFd, spawned.StandardErrorFd })
            {
                if (fd >= 0)
                {
                    _ = Libc.close(fd);
                }
            }

            throw;
        }

        // From here the process owns everything: a failure below is cleaned up by its dispose.
        try
        {
            process.StandardInput = spawned.StandardInputFd < 0 ? null : UvStream.OpenPipe(loop, spawned.StandardInputFd);
            process.StandardOutput = spawned.StandardOutputFd < 0 ? null : UvStream.OpenPipe(loop, spawned.StandardOutputFd);
            process.StandardError = spawned.StandardErrorFd < 0 ? null : UvStream.OpenPipe(loop, spawned.StandardErrorFd);
            if (!process.TryReap())
            {
                int status = Uv.uv_poll_start(process.Handle, Uv.UV_READABLE, &OnPoll);
                if (status < 0)
                {
                    throw UvErrors.Exception(status, "uv_poll_start(pidfd)");
                }
            }
        }
        catch
        {
            process.Close();
            throw;
        }

        return process;
    }

    public async ValueTask<int> WaitAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await _exited.Task.WaitAsync(cancellationToken);
    }

    public void Kill() => Signal(9);

    public void Terminate() => Signal(15);

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            foreach (IAsyncDisposable? pipe in new IAsyncDisposable?[] { StandardInput, StandardOutput, StandardError })
            {
                if (pipe is not null)
                {
                    await pipe.DisposeAsync();
                }
            }

            if (!_exited.Task.IsCompleted)
            {
                Kill();
            }
        }

        await _exited.Task;
        // Off the loop, the base hands the close to the loop by calling this override again there (the exchange above
        // makes that second pass only wait and close).
        await base.DisposeAsync();
    }

    public override string ToString() => $"process {Pid} ({_fileName})";

    protected override void OnClosing()
    {
        // Closed with the child still running (the backend is being disposed): kill it and reap it off the loop, so no
        // child and no zombie outlives the backend. The pid stays ours until reaped, so kill(2) cannot hit another process.
        if (!_exited.Task.IsCompleted)
        {
            PosixSpawn.KillUnreaped(Pid);
            int pid = Pid;
            TaskCompletionSource<int> exited = _exited;
            _ = Task.Run(() => exited.TrySetResult(PosixSpawn.Reap(pid)));
        }
    }

    protected override void OnClosed()
    {
        // uv_poll_t does not own its descriptor: the pidfd is closed once libuv has let go of the handle.
        int pidfd = Interlocked.Exchange(ref _pidfd, -1);
        if (pidfd >= 0)
        {
            _ = Libc.close(pidfd);
        }
    }

    private void Signal(int signal)
    {
        if (_exited.Task.IsCompleted)
        {
            return;
        }

        if (!Loop.IsLoopThread)
        {
            // The pidfd is closed on the loop; signalling there means it is never used after it was closed.
            Loop.Post(static s =>
            {
                var (process, number) = ((UvProcess, int))s!;
                process.Signal(number);
            }, (this, signal));
            return;
        }

        if (Volatile.Read(ref _pidfd) >= 0)
        {
            _ = PosixSpawn.Signal(_pidfd, signal);
        }
    }

    private bool TryReap()
    {
        if (PosixSpawn.TryReap(Pid) is not { } exitCode)
        {
            return false;
        }

        _exited.TrySetResult(exitCode);
        if (Handle != IntPtr.Zero && !IsClosed)
        {
            _ = Uv.uv_poll_stop(Handle);
        }

        return true;
    }

    [UnmanagedCallersOnly]
    private static void OnPoll(IntPtr handle, int status, int events)
    {
        try
        {
            _ = FromHandle<UvProcess>(handle).TryReap();
        }
        catch (Exception e)
        {
            LibuvLoop.ReportCallbackFailure(e);
        }
    }
}
