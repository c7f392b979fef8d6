using System.Runtime.InteropServices;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>
/// One wait for readiness of a descriptor: a uv_poll_t on a duplicate of it (<see cref="ForeignDescriptor"/>), started
/// for the wait and closed after it, the duplicate closed once libuv has let go of the handle. A duplicate because
/// libuv allows one poll handle per descriptor and keeps one watcher per descriptor number (a uv_poll_t on the number
/// of a socket libuv already drives would replace that socket's watcher); libuv's documented way to integrate an external
/// descriptor is uv_poll_t. uv_poll_init sets the descriptor non-blocking; the caller's mode is put back at once.
/// </summary>
internal sealed class UvDescriptorWait : UvHandle
{
    private readonly int _duplicate;
    private readonly nint _original;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _registration;

    private UvDescriptorWait(LibuvLoop loop, int duplicate, nint original)
        : base(loop, Uv.HandleType.Poll)
    {
        _duplicate = duplicate;
        _original = original;
        // uv_poll_init makes the descriptor non-blocking, on the open file description it shares with the caller's
        // descriptor; polling does not need that (libuv never reads it), so the caller's mode is put back, and the
        // caller's descriptor stays as it was (a blocking reader such as .NET's PipeStream would otherwise break).
        int flags = Libc.fcntl(duplicate, Libc.F_GETFL, 0);
        int status = Uv.uv_poll_init(loop.Native, Handle, duplicate);
        if (flags >= 0 && (flags & Libc.O_NONBLOCK) == 0)
        {
            _ = Libc.fcntl(duplicate, Libc.F_SETFL, flags);
        }

        if (status < 0)
        {
            _ = Libc.close(duplicate);
        }

        try
        {
            CompleteInit(status, $"uv_poll_init of descriptor {original}");
        }
        catch (System.Net.Sockets.SocketException) when (status == -1)
        {
            // uv__io_check_fd tries epoll_ctl: EPERM for a regular file or a directory.
            throw ForeignDescriptor.NotPollable(original, 1);
        }
    }

    /// <summary>Waits until <paramref name="fd"/> is readable or writable (loop thread).</summary>
    public static async Task WaitAsync(LibuvLoop loop, nint fd, bool writable, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        loop.ThrowIfStopping();
        var wait = new UvDescriptorWait(loop, ForeignDescriptor.Duplicate(fd), fd);
        try
        {
            wait.Start(writable ? Uv.UV_WRITABLE : Uv.UV_READABLE, cancellationToken);
            await wait._done.Task;
        }
        finally
        {
            wait.Close();
        }
    }

    private unsafe void Start(int events, CancellationToken cancellationToken)
    {
        int status = Uv.uv_poll_start(Handle, events, &OnPoll);
        if (status < 0)
        {
            _done.TrySetException(UvErrors.Exception(status, $"uv_poll_start of descriptor {_original}"));
            return;
        }

        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static (s, token) =>
            {
                var wait = (UvDescriptorWait)s!;
                // Completing the task from any thread is safe; the handle is closed on the loop by WaitAsync's finally.
                wait._done.TrySetCanceled(token);
            }, this);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnPoll(IntPtr handle, int status, int events)
    {
        try
        {
            UvDescriptorWait wait = FromHandle<UvDescriptorWait>(handle);
            _ = Uv.uv_poll_stop(handle);
            // An error status (the descriptor failed) still means "ready": the caller's next call reports the error, as
            // poll(2) reports POLLERR as readiness.
            wait._done.TrySetResult();
        }
        catch (Exception e)
        {
            Fault(handle, e);
        }
    }

    protected override void OnClosing()
    {
        _registration.Dispose();
        _done.TrySetException(new ClosedResourceException("The libuv backend was disposed while waiting for the descriptor."));
    }

    protected override void OnClosed() => _ = Libc.close(_duplicate);
}
