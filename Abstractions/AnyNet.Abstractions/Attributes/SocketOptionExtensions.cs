using System.Runtime.InteropServices;

namespace AnyNet;

/// <summary>The <see cref="int"/> forms of <see cref="ISocketOptions"/> (most options are a C <c>int</c>, in native byte order).</summary>
public static class SocketOptionExtensions
{
    /// <summary>Sets an <c>int</c> option (for example <c>SetOption(6, 1, 1)</c>: <c>TCP_NODELAY</c> on).</summary>
    public static void SetOption(this ISocketOptions socket, int level, int name, int value)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        MemoryMarshal.Write(bytes, in value);
        socket.SetOption(level, name, bytes);
    }

    /// <summary>Reads an <c>int</c> option.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The OS refused, or the option is not an <c>int</c>.</exception>
    public static int GetOption(this ISocketOptions socket, int level, int name)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        int length = socket.GetOption(level, name, bytes);
        if (length != sizeof(int))
        {
            throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.InvalidArgument,
                $"getsockopt(level {level}, name {name}) returned {length} bytes, not an int.");
        }

        return MemoryMarshal.Read<int>(bytes);
    }
}
