using System.Runtime.InteropServices;
using AnyNet.Backends.Internal;
using Microsoft.Win32.SafeHandles;

namespace AnyNet.Backends;

/// <summary>
/// For backend authors: descriptor passing over a Unix stream socket with sendmsg(2)/recvmsg(2) and an
/// <c>SCM_RIGHTS</c> control message (unix(7), cmsg(3)), shared by the built-in backends so they validate, fail and
/// clean up alike. The calls never block (<c>MSG_DONTWAIT</c>); the backend waits for readiness its own way and retries.
/// </summary>
public static unsafe class UnixRights
{
    /// <summary>The most descriptors one message may carry (Linux's <c>SCM_MAX_FD</c>, unix(7)).</summary>
    public const int MaxDescriptors = 253;

    private static readonly int s_headerSize = Align(sizeof(nuint) + (2 * sizeof(int)));

    /// <summary>Checks the arguments of <see cref="IFdPassingStream.SendFdsAsync"/>, naming what is wrong.</summary>
    /// <exception cref="ArgumentException">Empty message, no handle, a null, closed or invalid handle.</exception>
    /// <exception cref="ArgumentOutOfRangeException">More than <see cref="MaxDescriptors"/> handles.</exception>
    public static void ValidateSend(ReadOnlyMemory<byte> message, IReadOnlyList<SafeHandle> handles)
    {
        ArgumentNullException.ThrowIfNull(handles);
        if (message.IsEmpty)
        {
            throw new ArgumentException("Descriptors travel with data: the message must hold at least one byte (a stream socket drops control data sent with none).", nameof(message));
        }

        if (handles.Count == 0)
        {
            throw new ArgumentException("No descriptor to pass; use SendAsync for bytes alone.", nameof(handles));
        }

        if (handles.Count > MaxDescriptors)
        {
            throw new ArgumentOutOfRangeException(nameof(handles), handles.Count, $"One message carries at most {MaxDescriptors} descriptors (SCM_MAX_FD).");
        }

        for (int i = 0; i < handles.Count; i++)
        {
            SafeHandle? handle = handles[i];
            if (handle is null)
            {
                throw new ArgumentException($"The handle at index {i} is null.", nameof(handles));
            }

            // Not SafeHandle.IsInvalid: SafeFileHandle calls descriptor 0 invalid, yet stdin can be passed.
            if (handle.IsClosed || handle.DangerousGetHandle() < 0 || handle.DangerousGetHandle() > int.MaxValue)
            {
                throw new ArgumentException($"The handle at index {i} is {(handle.IsClosed ? "closed" : $"not a descriptor ({handle.DangerousGetHandle()})")}: it has nothing to pass.", nameof(handles));
            }
        }
    }

    /// <summary>Checks the arguments of <see cref="IFdPassingStream.ReceiveFdsAsync"/>.</summary>
    public static void ValidateReceive(Memory<byte> buffer, int maxHandles)
    {
        if (buffer.IsEmpty)
        {
            throw new ArgumentException("The buffer must hold at least one byte: descriptors arrive with data.", nameof(buffer));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxHandles, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxHandles, MaxDescriptors);
    }

    /// <summary>The error for a stream that is not a Unix domain socket.</summary>
    public static NotSupportedException NotUnix(string kind) =>
        new($"Passing descriptors (SCM_RIGHTS) needs a Unix domain stream socket; this is a {kind}.");

    /// <summary>
    /// One sendmsg(2) of <paramref name="message"/> with <paramref name="handles"/> attached (MSG_DONTWAIT, MSG_NOSIGNAL).
    /// Each handle is referenced for the call, so a concurrent dispose cannot free its number in the middle.
    /// </summary>
    /// <returns>The bytes sent (at least 1), or the negated errno (<c>-EAGAIN</c> when the socket is full).</returns>
    public static nint TrySend(int socket, ReadOnlySpan<byte> message, IReadOnlyList<SafeHandle> handles)
    {
        ArgumentNullException.ThrowIfNull(handles);
        int count = handles.Count;
        int controlLength = s_headerSize + Align(count * sizeof(int));
        byte* control = stackalloc byte[controlLength];
        new Span<byte>(control, controlLength).Clear();
        *(nuint*)control = (nuint)(s_headerSize + (count * sizeof(int)));
        *(int*)(control + sizeof(nuint)) = PosixInterop.SOL_SOCKET;
        *(int*)(control + sizeof(nuint) + sizeof(int)) = PosixInterop.SCM_RIGHTS;
        int* fds = (int*)(control + s_headerSize);
        bool[] added = new bool[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                try
                {
                    handles[i].DangerousAddRef(ref added[i]);
                }
                catch (ObjectDisposedException)
                {
                    throw new ArgumentException($"The handle at index {i} was closed before it could be sent.", nameof(handles));
                }

                fds[i] = (int)handles[i].DangerousGetHandle();
            }

            fixed (byte* data = message)
            {
                var iov = new PosixInterop.IoVec { Base = data, Length = (nuint)message.Length };
                var header = new PosixInterop.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
                while (true)
                {
                    nint sent = PosixInterop.SendMsg(socket, &header, PosixInterop.MSG_DONTWAIT | PosixInterop.MSG_NOSIGNAL);
                    if (sent >= 0)
                    {
                        return sent;
                    }

                    int errno = PosixInterop.LastErrno;
                    if (errno != PosixInterop.EINTR)
                    {
                        return -errno;
                    }
                }
            }
        }
        finally
        {
            for (int i = 0; i < count; i++)
            {
                if (added[i])
                {
                    handles[i].DangerousRelease();
                }
            }
        }
    }

    /// <summary>
    /// The exception for a failed <see cref="TrySend"/>: EBADF names the handle whose descriptor the kernel did not
    /// know (the socket itself is held open by the stream, so EBADF is always about a passed one); other errors break the stream.
    /// </summary>
    public static Exception SendError(int errno, IReadOnlyList<SafeHandle> handles)
    {
        ArgumentNullException.ThrowIfNull(handles);
        if (errno == PosixInterop.EBADF)
        {
            for (int i = 0; i < handles.Count; i++)
            {
                int fd = (int)handles[i].DangerousGetHandle();
                if (PosixInterop.Fcntl(fd, PosixInterop.F_GETFD, 0) < 0)
                {
                    return new ArgumentException($"The handle at index {i} (descriptor {fd}) is not an open file descriptor (EBADF): nothing was sent.", nameof(handles));
                }
            }

            return new ArgumentException("A passed handle is not an open file descriptor (EBADF): nothing was sent.", nameof(handles));
        }

        return SocketErrors.Broken(errno, "sendmsg");
    }

    /// <summary>
    /// One recvmsg(2) (MSG_DONTWAIT, MSG_CMSG_CLOEXEC so no descriptor leaks into a child started meanwhile).
    /// </summary>
    /// <param name="socket">The Unix stream socket.</param>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="maxHandles">The most descriptors accepted.</param>
    /// <param name="handles">The received descriptors, owned by the caller; empty when none came.</param>
    /// <returns>The bytes received (0 at the end of the stream), or the negated errno (<c>-EAGAIN</c> when nothing is there).</returns>
    /// <exception cref="IOException">More descriptors came than <paramref name="maxHandles"/>, or MSG_CTRUNC: all that came were closed.</exception>
    public static nint TryReceive(int socket, Span<byte> buffer, int maxHandles, out SafeFileHandle[] handles)
    {
        handles = [];
        // Room for one more than asked: a message with more than maxHandles is then seen and refused, not silently cut.
        int controlLength = s_headerSize + Align((maxHandles + 1) * sizeof(int));
        byte* control = stackalloc byte[controlLength];
        nint received;
        var header = default(PosixInterop.MsgHdr);
        fixed (byte* data = buffer)
        {
            var iov = new PosixInterop.IoVec { Base = data, Length = (nuint)buffer.Length };
            header.Iov = &iov;
            header.IovLength = 1;
            header.Control = control;
            header.ControlLength = (nuint)controlLength;
            while (true)
            {
                received = PosixInterop.RecvMsg(socket, &header, PosixInterop.MSG_DONTWAIT | PosixInterop.MSG_CMSG_CLOEXEC);
                if (received >= 0)
                {
                    break;
                }

                int errno = PosixInterop.LastErrno;
                if (errno != PosixInterop.EINTR)
                {
                    return -errno;
                }
            }
        }

        var fds = new List<int>();
        byte* end = control + (int)header.ControlLength;
        byte* cmsg = (int)header.ControlLength >= s_headerSize ? control : end;
        while (cmsg + s_headerSize <= end)
        {
            int length = (int)*(nuint*)cmsg;
            if (length < s_headerSize || cmsg + length > end)
            {
                break;
            }

            if (*(int*)(cmsg + sizeof(nuint)) == PosixInterop.SOL_SOCKET && *(int*)(cmsg + sizeof(nuint) + sizeof(int)) == PosixInterop.SCM_RIGHTS)
            {
                int* passed = (int*)(cmsg + s_headerSize);
                for (int i = 0; i < (length - s_headerSize) / sizeof(int); i++)
                {
                    fds.Add(passed[i]);
                }
            }

            cmsg += Align(length);
        }

        bool truncated = (header.Flags & PosixInterop.MSG_CTRUNC) != 0;
        if (truncated || fds.Count > maxHandles)
        {
            foreach (int fd in fds)
            {
                _ = PosixInterop.Close(fd);
            }

            throw new IOException(
                $"The peer sent more descriptors than the {maxHandles} this receive accepts{(truncated ? " (the kernel truncated the control data, MSG_CTRUNC)" : string.Empty)}: " +
                $"the {fds.Count} that arrived were closed and the {received} bytes that came with them are dropped.");
        }

        if (fds.Count > 0)
        {
            handles = new SafeFileHandle[fds.Count];
            for (int i = 0; i < fds.Count; i++)
            {
                handles[i] = new SafeFileHandle(fds[i], ownsHandle: true);
            }
        }

        return received;
    }

    /// <summary>The exception for a failed <see cref="TryReceive"/>.</summary>
    public static Exception ReceiveError(int errno) => SocketErrors.Broken(errno, "recvmsg");

    private static int Align(int length) => (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

    /// <summary>True for the would-block (<c>-EAGAIN</c>) result of <see cref="TrySend"/>/<see cref="TryReceive"/>.</summary>
    public static bool WouldBlock(nint result) => result == -PosixInterop.EAGAIN;
}
