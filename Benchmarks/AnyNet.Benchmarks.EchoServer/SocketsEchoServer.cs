using System.Net;
using System.Net.Sockets;

namespace AnyNet.Benchmarks.EchoServer;

/// <summary>
/// The baseline: the echo server a .NET developer writes by hand with System.Net.Sockets (accept loop, one async
/// receive/send loop per connection), with the same buffer strategy as the AnyNet servers.
/// </summary>
internal static class SocketsEchoServer
{
    public static async Task RunAsync(EchoOptions options, TaskCompletionSource<int> ready, CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(options.EndPoint);
        listener.Listen(4096);
        ready.TrySetResult(((IPEndPoint)listener.LocalEndPoint!).Port);
        try
        {
            while (true)
            {
                Socket connection = await listener.AcceptAsync(cancellationToken);
                _ = options.ZeroRead
                    ? EchoZeroReadAsync(connection, options.BufferSize, cancellationToken)
                    : EchoDirectAsync(connection, options.BufferSize, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopped by the harness
        }
    }

    private static async Task EchoDirectAsync(Socket connection, int bufferSize, CancellationToken cancellationToken)
    {
        EchoStats.OnAccepted();
        using (connection)
        {
            try
            {
                byte[] buffer = new byte[bufferSize];
                while (true)
                {
                    int received = await connection.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                    if (received == 0)
                    {
                        return;
                    }

                    await connection.SendAsync(buffer.AsMemory(0, received), SocketFlags.None, cancellationToken);
                }
            }
            catch (Exception error) when (error is SocketException or OperationCanceledException)
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    EchoStats.OnFailed(error);
                }
            }
        }
    }

    private static async Task EchoZeroReadAsync(Socket connection, int bufferSize, CancellationToken cancellationToken)
    {
        EchoStats.OnAccepted();
        using (connection)
        {
            try
            {
                while (true)
                {
                    await connection.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);
                    byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bufferSize);
                    try
                    {
                        int received = await connection.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                        if (received == 0)
                        {
                            return;
                        }

                        await connection.SendAsync(buffer.AsMemory(0, received), SocketFlags.None, cancellationToken);
                    }
                    finally
                    {
                        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
            catch (Exception error) when (error is SocketException or OperationCanceledException)
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    EchoStats.OnFailed(error);
                }
            }
        }
    }
}
