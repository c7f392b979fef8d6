using System.Net;
using System.Net.Sockets;

namespace AnyNet.Backends.Tasks.Internal;

internal static class SocketSetup
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    public static void EnableReusePort(Socket socket) => socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));

    public static void BindAndListen(Socket socket, EndPoint endPoint, int backlog)
    {
        try
        {
            socket.Bind(endPoint);
            socket.Listen(backlog);
        }
        catch (SocketException error)
        {
            socket.Dispose();
            throw Named(error, "bind", endPoint);
        }
    }

    public static void Bind(Socket socket, EndPoint? local, EndPoint? remote)
    {
        try
        {
            if (local is not null)
            {
                socket.Bind(local);
            }

            if (remote is not null)
            {
                socket.Connect(remote);
            }
        }
        catch (SocketException error)
        {
            socket.Dispose();
            throw Named(error, local is null ? "connect" : "bind", (EndPoint?)remote ?? local!);
        }
    }

    // bind(2) on an existing path fails with EADDRINUSE anyway; saying so up front gives the path in the message and
    // keeps AnyNet from ever deleting a file it did not create.
    public static void ThrowIfPathExists(string path, EndPoint endPoint)
    {
        if (File.Exists(path) || Directory.Exists(path))
        {
            throw new SocketException((int)SocketError.AddressAlreadyInUse, $"bind ({endPoint}) failed: the path '{path}' already exists");
        }
    }

    public static SocketException Named(SocketException error, string operation, EndPoint endPoint) =>
        new((int)error.SocketErrorCode, $"{operation} ({endPoint}) failed: {error.Message}");
}
