using System.Net;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>ServeAsync: one task group child per connection, and what stopping the server does to them.</summary>
public abstract class ServerConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task Several_clients_are_served_concurrently() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var endpoint = (IPEndPoint)listener.LocalEndPoint;
        const int Clients = 5;
        var allConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int connected = 0;
        Task server = listener.ServeAsync(async (stream, t) =>
        {
            // Every handler waits until all clients are connected: only concurrent handling can get past this.
            if (Interlocked.Increment(ref connected) == Clients)
            {
                allConnected.TrySetResult();
            }

            await allConnected.Task.WaitAsync(t);
            byte[] buffer = new byte[64];
            int n;
            while ((n = await stream.ReceiveAsync(buffer, t)) > 0)
            {
                await stream.SendAsync(buffer.AsMemory(0, n), t);
            }
        }, stop.Token);

        await TaskGroup.RunAsync(group =>
        {
            for (int i = 0; i < Clients; i++)
            {
                byte[] message = [(byte)i, 1, 2, 3];
                group.Start(async t =>
                {
                    await using ISocketStream client = await backend.ConnectTcpAsync(endpoint, t);
                    await client.SendAsync(message, t);
                    Assert.Equal(message, await client.ReceiveExactlyAsync(message.Length, t));
                });
            }

            return Task.CompletedTask;
        }, token);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server);
    });

    [SkippableFact]
    public virtual Task Stopping_the_server_closes_every_connection() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var handling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task server = listener.ServeAsync(async (_, t) =>
        {
            handling.TrySetResult();
            await backend.SleepAsync(Timeout.InfiniteTimeSpan, t);
        }, stop.Token);

        await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
        await handling.Task.WaitAsync(token);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server);
        Assert.Equal(0, await client.ReceiveAsync(new byte[1], token));
    });

    [SkippableFact]
    public virtual Task Disposing_the_listener_stops_accepting_and_lets_running_handlers_finish() => RunAsync(async (backend, token) =>
    {
        ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        var handling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task server = listener.ServeAsync(async (stream, t) =>
        {
            handling.TrySetResult();
            await release.Task.WaitAsync(t);
            await stream.SendAsync("bye"u8.ToArray(), t);
        }, token);

        await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
        await handling.Task.WaitAsync(token);
        await listener.DisposeAsync();
        Assert.False(server.IsCompleted, "the server ended while a handler was still running");
        release.TrySetResult();
        await server;
        Assert.Equal("bye"u8.ToArray(), await client.ReceiveToEndAsync(cancellationToken: token));
    });

    [SkippableFact]
    public virtual Task A_failing_handler_fails_the_server_with_its_error() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        Task server = listener.ServeAsync((_, _) => throw new InvalidDataException("bad request"), token);
        await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => server);
        Assert.IsType<InvalidDataException>(Assert.Single(error.InnerExceptions));
    });

    [SkippableFact]
    public virtual Task A_null_handler_is_rejected_with_ArgumentNullException() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        await Assert.ThrowsAsync<ArgumentNullException>(() => listener.ServeAsync(null!, token));
    });
}
