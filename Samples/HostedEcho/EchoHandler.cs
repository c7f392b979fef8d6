using AnyNet.Hosting;

namespace AnyNet.Samples.HostedEcho;

/// <summary>Sends back every byte it receives until the client half-closes, then half-closes too.</summary>
internal sealed class EchoHandler : IConnectionHandler
{
    public async Task HandleAsync(ISocketStream connection, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16 * 1024];
        int received;
        while ((received = await connection.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            await connection.SendAsync(buffer.AsMemory(0, received), cancellationToken);
        }

        await connection.SendEofAsync(cancellationToken);
    }
}
