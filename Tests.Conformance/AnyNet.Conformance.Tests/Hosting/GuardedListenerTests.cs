using System.Net;
using System.Net.Sockets;
using AnyNet.Hosting.Internal;
using Xunit;

namespace AnyNet.Conformance.Tests.Hosting;

public sealed class GuardedListenerTests
{
    [Fact]
    public async Task Transient_accept_errors_are_reported_and_the_accept_is_retried()
    {
        var connection = new NullStream();
        var inner = new ScriptedListener(
            () => throw new SocketException((int)SocketError.TooManyOpenSockets),
            () => throw new BrokenResourceException("reset before accept"),
            () => connection);
        var reported = new List<Exception>();
        var guarded = new GuardedListener(inner, TimeProvider.System, reported.Add);

        Assert.Same(connection, await guarded.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Collection(reported, e => Assert.IsType<SocketException>(e), e => Assert.IsType<BrokenResourceException>(e));
    }

    [Fact]
    public async Task Closing_cancellation_and_misuse_are_not_retried()
    {
        var reported = new List<Exception>();
        await Assert.ThrowsAsync<ClosedResourceException>(
            async () => await new GuardedListener(new ScriptedListener(() => throw new ClosedResourceException()), TimeProvider.System, reported.Add).AcceptAsync());
        await Assert.ThrowsAsync<BusyResourceException>(
            async () => await new GuardedListener(new ScriptedListener(() => throw new BusyResourceException()), TimeProvider.System, reported.Add).AcceptAsync());
        await Assert.ThrowsAsync<OperationCanceledException>(
            async () => await new GuardedListener(new ScriptedListener(() => throw new OperationCanceledException()), TimeProvider.System, reported.Add).AcceptAsync());
        Assert.Empty(reported);
    }

    [Fact]
    public async Task Cancellation_during_the_pause_after_an_error_ends_the_accept()
    {
        using var cancellation = new CancellationTokenSource();
        var reported = new List<Exception>();
        var inner = new ScriptedListener(() =>
        {
            cancellation.Cancel();
            throw new SocketException((int)SocketError.ConnectionReset);
        });
        var guarded = new GuardedListener(inner, TimeProvider.System, reported.Add);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await guarded.AcceptAsync(cancellation.Token));
        Assert.Single(reported);
    }

    private sealed class ScriptedListener(params Func<ISocketStream>[] steps) : ISocketListener
    {
        private int _next;

        public EndPoint LocalEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 1);

        public ValueTask<ISocketStream> AcceptAsync(CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(steps[_next++]());
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class NullStream : ISocketStream
    {
        public EndPoint LocalEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 1);

        public EndPoint RemoteEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 2);

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(0);

        public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask SendEofAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
