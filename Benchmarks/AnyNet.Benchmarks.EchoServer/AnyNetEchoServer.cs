using System.Buffers;
using System.Net;

namespace AnyNet.Benchmarks.EchoServer;

/// <summary>The echo server as an AnyNet user writes it: ListenTcp, ServeAsync, and a receive/send loop.</summary>
internal static class AnyNetEchoServer
{
    public static Task RunAsync(IAsyncBackend backend, EchoOptions options, TaskCompletionSource<int> ready, CancellationToken cancellationToken)
    {
        int bufferSize = options.BufferSize;
        Func<ISocketStream, CancellationToken, Task> handler = options.ZeroRead
            ? (stream, token) => Guard(EchoZeroReadAsync(stream, bufferSize, token), token)
            : (stream, token) => Guard(EchoDirectAsync(stream, bufferSize, token), token);

        return backend.RunAsync(async token =>
        {
            ISocketListener listener = backend.ListenTcp(options.EndPoint, new ListenOptions { Backlog = 4096 });
            await using (listener)
            {
                ready.TrySetResult(((IPEndPoint)listener.LocalEndPoint).Port);
                try
                {
                    await listener.ServeAsync(handler, token);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    // stopped by the harness
                }
            }
        }, cancellationToken);
    }

    private static async Task EchoDirectAsync(ISocketStream stream, int bufferSize, CancellationToken cancellationToken)
    {
        EchoStats.OnAccepted();
        byte[] buffer = new byte[bufferSize];
        while (true)
        {
            int received = await stream.ReceiveAsync(buffer, cancellationToken);
            if (received == 0)
            {
                return;
            }

            await stream.SendAsync(buffer.AsMemory(0, received), cancellationToken);
        }
    }

    private static async Task EchoZeroReadAsync(ISocketStream stream, int bufferSize, CancellationToken cancellationToken)
    {
        EchoStats.OnAccepted();
        while (true)
        {
            // Wait for readability without a buffer: an idle connection holds nothing but the backend's own state.
            await stream.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
            try
            {
                int received = await stream.ReceiveAsync(buffer, cancellationToken);
                if (received == 0)
                {
                    return;
                }

                await stream.SendAsync(buffer.AsMemory(0, received), cancellationToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    // A handler that throws fails the whole server (ServeAsync's contract), so a peer that resets is counted, not fatal.
    private static async Task Guard(Task echo, CancellationToken cancellationToken)
    {
        try
        {
            await echo;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // server stopping
        }
        catch (Exception error) when (error is BrokenResourceException or ClosedResourceException or System.Net.Sockets.SocketException or IOException)
        {
            EchoStats.OnFailed(error);
        }
    }
}
