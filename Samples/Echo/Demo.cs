using System.Net;

namespace AnyNet.Samples.Echo;

internal static class Demo
{
    public static async Task RunAsync(IAsyncBackend backend, TextWriter log, CancellationToken cancellationToken)
    {
        await log.WriteLineAsync($"AnyNet echo demo on the '{backend.Name}' backend");
        await TaskGroup.RunAsync(async group =>
        {
            // The server child reports its bound port through started(), so clients start only once it listens.
            int port = await group.StartAsync<int>(async (started, token) =>
            {
                await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
                started(((IPEndPoint)listener.LocalEndPoint).Port);
                await listener.ServeAsync(EchoServer.EchoAsync, token);
            }, cancellationToken);
            await log.WriteLineAsync($"server listening on 127.0.0.1:{port}");

            await TaskGroup.RunAsync(clients =>
            {
                foreach (string name in new[] { "alpha", "bravo", "charlie", "delta" })
                {
                    clients.Start(token => EchoClient.RunAsync(backend, "127.0.0.1", port, $"{name} says hi", log, token));
                }

                return Task.CompletedTask;
            }, cancellationToken);

            bool timedOut = await backend.MoveOnAfterAsync(TimeSpan.FromMilliseconds(50), token => backend.SleepAsync(Timeout.InfiniteTimeSpan, token), cancellationToken);
            await log.WriteLineAsync($"a sleep under MoveOnAfter(50 ms) timed out: {timedOut}");
            await log.WriteLineAsync("all clients done; stopping the server");
            group.Cancel();
        }, cancellationToken);
        await log.WriteLineAsync("demo finished");
    }
}
