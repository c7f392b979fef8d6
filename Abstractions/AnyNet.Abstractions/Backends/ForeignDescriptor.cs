using System.Runtime.InteropServices;
using AnyNet.Backends.Internal;

namespace AnyNet.Backends;

/// <summary>
/// For backend authors: waiting for readiness of a descriptor the backend does not own
/// (<see cref="IAsyncBackend.WaitReadableAsync"/>). Each wait works on its own close-on-exec duplicate (fcntl
/// F_DUPFD_CLOEXEC), so the same descriptor can be waited on twice at once (epoll and libuv allow one registration per
/// descriptor number), the caller's number is never registered or closed by the backend, and a caller who closes the
/// descriptor during a wait cannot make the loop watch whatever reuses the number.
/// </summary>
public static class ForeignDescriptor
{
    /// <summary>Duplicates <paramref name="handle"/> for one wait; the caller closes the duplicate with <see cref="Close"/>.</summary>
    /// <exception cref="ArgumentException">The handle is not an open descriptor (EBADF), or out of range; the message names it.</exception>
    public static int Duplicate(nint handle)
    {
        if (handle < 0 || handle > int.MaxValue)
        {
            throw new ArgumentException($"Handle {handle} is not a file descriptor (it must be 0 or more).", nameof(handle));
        }

        int duplicate = PosixInterop.Fcntl((int)handle, PosixInterop.F_DUPFD_CLOEXEC, 0);
        if (duplicate < 0)
        {
            int errno = PosixInterop.LastErrno;
            throw errno == PosixInterop.EBADF
                ? new ArgumentException($"Handle {handle} is not an open file descriptor (EBADF).", nameof(handle))
                : SocketErrors.Exception(errno, $"fcntl(F_DUPFD_CLOEXEC) of descriptor {handle}");
        }

        return duplicate;
    }

    /// <summary>Closes a duplicate made by <see cref="Duplicate"/>.</summary>
    public static void Close(int duplicate) => _ = PosixInterop.Close(duplicate);

    /// <summary>The error for a descriptor the poller refuses (epoll answers EPERM for regular files and directories).</summary>
    public static Exception NotPollable(nint handle, int errno) => errno == PosixInterop.EPERM
        ? new ArgumentException($"Handle {handle} cannot be waited on: it is a regular file or directory, which epoll(7) refuses (EPERM); such files are always ready.", nameof(handle))
        : SocketErrors.Exception(errno, $"watching descriptor {handle}");

    /// <summary>
    /// Waits with poll(2) on a dedicated thread, for a backend that has no loop to register with (System.Net.Sockets
    /// exposes no readiness of a foreign descriptor). An eventfd written on cancellation wakes the poll, so a cancelled
    /// wait ends at once and its thread is released. Regular files poll as ready, so they are refused as epoll refuses them, by asking a throwaway epoll instance.
    /// </summary>
    /// <exception cref="ArgumentException">Not an open descriptor, or a regular file or directory.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static async Task PollOnThreadAsync(nint handle, bool writable, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int duplicate = Duplicate(handle);
        int wake = -1;
        try
        {
            int refused = PollabilityError(duplicate);
            if (refused != 0)
            {
                throw NotPollable(handle, refused);
            }

            wake = PosixInterop.EventFd(0, PosixInterop.EFD_CLOEXEC | PosixInterop.EFD_NONBLOCK);
            if (wake < 0)
            {
                throw SocketErrors.Exception(PosixInterop.LastErrno, "eventfd");
            }

            int wakeFd = wake;
            using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(static s => Wake((int)s!), wakeFd);
            short events = writable ? PosixInterop.POLLOUT : PosixInterop.POLLIN;
            short returned = await Task.Factory.StartNew(
                () => PollBlocking(duplicate, events, wakeFd),
                CancellationToken.None,
                TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach,
                TaskScheduler.Default).ConfigureAwait(false);
            if (returned < 0)
            {
                throw SocketErrors.Exception(-returned, $"poll of descriptor {handle}");
            }

            if (returned == 0)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
        finally
        {
            // The registration is disposed first (end of its using scope): no callback can write a closed eventfd.
            if (wake >= 0)
            {
                _ = PosixInterop.Close(wake);
            }

            _ = PosixInterop.Close(duplicate);
        }
    }

    private static unsafe void Wake(int eventFd)
    {
        ulong one = 1;
        _ = PosixInterop.Write(eventFd, &one, sizeof(ulong));
    }

    // Returns the revents of the watched descriptor, 0 when woken for cancellation, or -errno.
    private static unsafe short PollBlocking(int fd, short events, int wake)
    {
        PosixInterop.PollFd* fds = stackalloc PosixInterop.PollFd[2];
        fds[0] = new PosixInterop.PollFd { Fd = fd, Events = events };
        fds[1] = new PosixInterop.PollFd { Fd = wake, Events = PosixInterop.POLLIN };
        while (true)
        {
            int count = PosixInterop.Poll(fds, 2, -1);
            if (count < 0)
            {
                int errno = PosixInterop.LastErrno;
                if (errno == PosixInterop.EINTR)
                {
                    continue;
                }

                return (short)-errno;
            }

            if (fds[1].ReturnedEvents != 0)
            {
                return 0;
            }

            if (fds[0].ReturnedEvents != 0)
            {
                return fds[0].ReturnedEvents;
            }
        }
    }

    // epoll's own rule, asked of epoll: a throwaway epoll instance refuses regular files and directories with EPERM.
    private static unsafe int PollabilityError(int fd)
    {
        int epoll = PosixInterop.EpollCreate1(PosixInterop.O_CLOEXEC);
        if (epoll < 0)
        {
            return 0;
        }

        try
        {
            byte* ev = stackalloc byte[16];
            new Span<byte>(ev, 16).Clear();
            *(uint*)ev = 1; // EPOLLIN
            return PosixInterop.EpollCtl(epoll, 1, fd, ev) == 0 ? 0 : PosixInterop.LastErrno;
        }
        finally
        {
            _ = PosixInterop.Close(epoll);
        }
    }
}
