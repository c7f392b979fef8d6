namespace AnyNet;

/// <summary>
/// The socket option escape hatch: setsockopt(2)/getsockopt(2) with the OS's own level and name numbers (Linux:
/// <c>SOL_SOCKET</c> = 1, <c>IPPROTO_TCP</c> = 6, <c>TCP_NODELAY</c> = 1, ...). <see cref="SocketOptionExtensions"/> has the
/// <see cref="int"/> forms. Every built-in backend turns <c>TCP_NODELAY</c> on for every TCP stream (connected or accepted).
/// </summary>
public interface ISocketOptions
{
    /// <summary>Sets an option to the bytes of <paramref name="value"/>.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The OS refused (unknown option, bad value); the message names the option and the errno.</exception>
    /// <exception cref="ClosedResourceException">The socket was closed.</exception>
    /// <exception cref="NotSupportedException">The backend lacks <see cref="BackendCapabilities.TypedAttributes"/>.</exception>
    void SetOption(int level, int name, ReadOnlySpan<byte> value) =>
        throw new NotSupportedException($"This {GetType().Name} does not support socket options (its backend lacks BackendCapabilities.{nameof(BackendCapabilities.TypedAttributes)}).");

    /// <summary>Reads an option into <paramref name="value"/>.</summary>
    /// <returns>The number of bytes the OS wrote.</returns>
    /// <exception cref="System.Net.Sockets.SocketException">The OS refused (unknown option, buffer too small); the message names the option and the errno.</exception>
    /// <exception cref="ClosedResourceException">The socket was closed.</exception>
    /// <exception cref="NotSupportedException">The backend lacks <see cref="BackendCapabilities.TypedAttributes"/>.</exception>
    int GetOption(int level, int name, Span<byte> value) =>
        throw new NotSupportedException($"This {GetType().Name} does not support socket options (its backend lacks BackendCapabilities.{nameof(BackendCapabilities.TypedAttributes)}).");
}
