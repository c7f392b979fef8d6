using System.Text;

namespace AnyNet.Samples.Echo;

internal static class EchoClient
{
    public static async Task RunAsync(IAsyncBackend backend, string host, int port, string message, TextWriter log, CancellationToken cancellationToken)
    {
        await using ISocketStream stream = await backend.ConnectTcpAsync(host, port, cancellationToken);
        byte[] sent = Encoding.UTF8.GetBytes(message);
        await stream.SendAsync(sent, cancellationToken);
        await stream.SendEofAsync(cancellationToken);
        using var received = new MemoryStream();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = await stream.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        await log.WriteLineAsync($"[{backend.Name}] sent {sent.Length} bytes, echoed back: \"{Encoding.UTF8.GetString(received.ToArray())}\"");
    }
}
