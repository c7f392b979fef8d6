using System.Net;
using System.Net.Sockets;

namespace AnyNet.Backends;

/// <summary>
/// Turns Linux errno values into the exceptions every backend must raise, so that a reactor on raw syscalls, a libuv
/// binding (whose status codes are negated errno values on Unix) and System.Net.Sockets all fail the same way.
/// </summary>
public static class SocketErrors
{
    /// <summary>The <see cref="SocketError"/> for a Linux errno value (the mapping System.Net.Sockets uses on Unix).</summary>
    public static SocketError FromErrno(int errno) => errno switch
    {
        1 or 13 => SocketError.AccessDenied,            // EPERM, EACCES
        2 => SocketError.AddressNotAvailable,           // ENOENT: a Unix socket path that does not exist
        4 => SocketError.Interrupted,                   // EINTR
        9 => SocketError.OperationAborted,              // EBADF
        11 => SocketError.WouldBlock,                   // EAGAIN
        14 => SocketError.Fault,                        // EFAULT
        22 => SocketError.InvalidArgument,              // EINVAL
        23 or 24 => SocketError.TooManyOpenSockets,     // ENFILE, EMFILE
        32 => SocketError.Shutdown,                     // EPIPE
        61 or 111 => SocketError.ConnectionRefused,     // ENODATA (unused), ECONNREFUSED
        88 => SocketError.NotSocket,                    // ENOTSOCK
        90 => SocketError.MessageSize,                  // EMSGSIZE
        93 => SocketError.ProtocolNotSupported,         // EPROTONOSUPPORT
        95 => SocketError.OperationNotSupported,        // EOPNOTSUPP
        97 => SocketError.AddressFamilyNotSupported,    // EAFNOSUPPORT
        98 => SocketError.AddressAlreadyInUse,          // EADDRINUSE
        99 => SocketError.AddressNotAvailable,          // EADDRNOTAVAIL
        100 => SocketError.NetworkDown,                 // ENETDOWN
        101 => SocketError.NetworkUnreachable,          // ENETUNREACH
        102 => SocketError.NetworkReset,                // ENETRESET
        103 => SocketError.ConnectionAborted,           // ECONNABORTED
        104 => SocketError.ConnectionReset,             // ECONNRESET
        105 => SocketError.NoBufferSpaceAvailable,      // ENOBUFS
        106 => SocketError.IsConnected,                 // EISCONN
        107 => SocketError.NotConnected,                // ENOTCONN
        110 => SocketError.TimedOut,                    // ETIMEDOUT
        113 => SocketError.HostUnreachable,             // EHOSTUNREACH
        114 => SocketError.AlreadyInProgress,           // EALREADY
        115 => SocketError.InProgress,                  // EINPROGRESS
        125 => SocketError.OperationAborted,            // ECANCELED
        _ => SocketError.SocketError,
    };

    /// <summary>A <see cref="SocketException"/> for an errno, with a message that names the errno and what was being done.</summary>
    public static SocketException Exception(int errno, string operation, EndPoint? endPoint = null)
    {
        SocketError error = FromErrno(errno);
        string where = endPoint is null ? string.Empty : $" ({endPoint})";
        string what = errno switch
        {
            2 => "No such file or directory",
            13 => "permission denied",
            _ => Describe(error),
        };
        return new SocketException((int)error, $"{operation}{where} failed: {what} (errno {errno})");
    }

    /// <summary>
    /// Throws the ENOENT <see cref="SocketException"/> for binding the Unix socket <paramref name="path"/> when its
    /// directory does not exist; every backend calls it before bind(2). Checking first makes the error the same
    /// everywhere: System.Net.Sockets reports ENOENT as "Cannot assign requested address", and libuv's uv_pipe_bind turns
    /// ENOENT into EACCES (for Windows compatibility), which would send an operator looking at permissions.
    /// </summary>
    /// <param name="path">The socket path; an abstract name (starting with <c>@</c> or NUL) has no directory and passes.</param>
    /// <exception cref="SocketException">The directory is missing (<see cref="SocketError.AddressNotAvailable"/>, as .NET maps ENOENT).</exception>
    public static void ThrowIfUnixDirectoryMissing(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path[0] is '@' or '\0')
        {
            return;
        }

        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            throw new SocketException((int)SocketError.AddressNotAvailable, $"bind ({path}) failed: No such file or directory: the directory '{directory}' does not exist (errno 2)");
        }
    }

    /// <summary>Wraps an OS failure of an established stream as <see cref="BrokenResourceException"/>.</summary>
    public static BrokenResourceException Broken(Exception osError) =>
        new($"The connection is broken: {osError.Message}", osError);

    /// <summary>Wraps an errno failure of an established stream as <see cref="BrokenResourceException"/>.</summary>
    public static BrokenResourceException Broken(int errno, string operation) => Broken(Exception(errno, operation));

    /// <summary>True for errors that mean the peer or the path went away rather than a bug in the caller.</summary>
    public static bool IsConnectionFailure(SocketError error) => error is
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.NetworkReset
        or SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown or SocketError.TimedOut
        or SocketError.NotConnected or SocketError.ConnectionRefused;

    private static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused (nobody listens there)",
        SocketError.AddressAlreadyInUse => "the address is already in use",
        SocketError.AddressNotAvailable => "the address is not available",
        SocketError.ConnectionReset => "connection reset by peer",
        SocketError.Shutdown => "broken pipe (the peer closed the connection)",
        _ => error.ToString(),
    };
}
