namespace AnyNet.Samples.Proxy;

/// <summary>
/// Forwards one client connection to the target: both directions copy concurrently in a task group; the end of one
/// direction is passed on as a half-close (<see cref="IByteStream.SendEofAsync"/>), so request/response protocols
/// that signal "done" with a half-close work through the proxy; an error in either direction fails the group,
/// which cancels the other direction, and both sockets are closed on the way out.
/// </summary>
internal sealed class TcpForwarder(IAsyncBackend backend, string targetHost, int targetPort, int bufferSize = 64 * 1024)
{
    public async Task HandleAsync(ISocketStream client, CancellationToken cancellationToken)
    {
        ISocketStream target;
        try
        {
            target = await backend.ConnectTcpAsync(targetHost, targetPort, cancellationToken);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // Nothing to forward to: closing the client is the only answer a TCP proxy has.
            await Console.Error.WriteLineAsync($"Proxy: cannot reach {targetHost}:{targetPort}: {e.Message}");
            return;
        }

        await using (target)
        {
            await TaskGroup.RunAsync(group =>
            {
                group.Start(token => CopyAsync(client, target, token));
                group.Start(token => CopyAsync(target, client, token));
                return Task.CompletedTask;
            }, cancellationToken);
        }
    }

    /// <summary>Copies until the source ends, then half-closes the destination.</summary>
    public async Task CopyAsync(IByteStream source, IByteStream destination, CancellationToken cancellationToken)
    {
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bufferSize);
        try
        {
            int n;
            while ((n = await source.ReceiveAsync(buffer, cancellationToken)) > 0)
            {
                await destination.SendAsync(buffer.AsMemory(0, n), cancellationToken);
            }

            await destination.SendEofAsync(cancellationToken);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
