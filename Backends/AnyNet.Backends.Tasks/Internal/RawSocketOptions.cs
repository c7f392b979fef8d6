using System.Net.Sockets;

namespace AnyNet.Backends.Tasks.Internal;

/// <summary>
/// Socket options through <see cref="Socket.SetRawSocketOption"/>/<see cref="Socket.GetRawSocketOption"/>, which pass the
/// level and name to setsockopt/getsockopt untranslated and keep System.Net.Sockets' own state (its cached options)
/// out of it. Errors name the option, as the other backends' do.
/// </summary>
internal static class RawSocketOptions
{
    public static void Set(Socket socket, bool closed, string kind, int level, int name, ReadOnlySpan<byte> value)
    {
        ThrowIfClosed(closed, kind);
        try
        {
            socket.SetRawSocketOption(level, name, value);
        }
        catch (SocketException error)
        {
            throw Named(error, "setsockopt", level, name);
        }
        catch (ObjectDisposedException error)
        {
            throw new ClosedResourceException($"This {kind} was closed.", error);
        }
    }

    public static int Get(Socket socket, bool closed, string kind, int level, int name, Span<byte> value)
    {
        ThrowIfClosed(closed, kind);
        try
        {
            return socket.GetRawSocketOption(level, name, value);
        }
        catch (SocketException error)
        {
            throw Named(error, "getsockopt", level, name);
        }
        catch (ObjectDisposedException error)
        {
            throw new ClosedResourceException($"This {kind} was closed.", error);
        }
    }

    public static nint Handle(Socket socket, bool closed, string kind)
    {
        ThrowIfClosed(closed, kind);
        try
        {
            return socket.Handle;
        }
        catch (ObjectDisposedException error)
        {
            throw new ClosedResourceException($"This {kind} was closed.", error);
        }
    }

    private static void ThrowIfClosed(bool closed, string kind)
    {
        if (closed)
        {
            throw new ClosedResourceException($"This {kind} was closed.");
        }
    }

    private static SocketException Named(SocketException error, string call, int level, int name) =>
        new((int)error.SocketErrorCode, $"{call}(level {level}, name {name}) failed: {error.Message}");
}
