using System.Net;

namespace AnyNet.Samples.Echo;

internal static class EchoServer
{
    public static async Task ServeAsync(IAsyncBackend backend, int port, TextWriter log, CancellationToken cancellationToken)
    {
        await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, port));
        await log.WriteLineAsync($"[{backend.Name}] echo server on {listener.LocalEndPoint}; Ctrl-C stops it");
        await listener.ServeAsync(EchoAsync, cancellationToken);
    }

    public static async Task EchoAsync(ISocketStream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16 * 1024];
        int n;
        while ((n = await stream.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            await stream.SendAsync(buffer.AsMemory(0, n), cancellationToken);
        }
    }
}
