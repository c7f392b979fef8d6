using System.Net;
using System.Net.Sockets;
using AnyNet.Hosting.Internal;
using Xunit;

namespace AnyNet.Conformance.Tests.Hosting;

/// <summary>The back-off state the health check reports as Degraded: from a failed accept until the next one succeeds.</summary>
public sealed class GuardedListenerBackoffTests
{
    [Fact]
    public async Task A_failed_accept_marks_the_listener_backing_off_until_an_accept_succeeds()
    {
        GuardedListener? guarded = null;
        var seenDuringBackoff = new List<bool>();
        var connection = new NullStream();
        var inner = new ScriptedListener(
            () => throw new SocketException((int)SocketError.TooManyOpenSockets),
            () => throw new SocketException((int)SocketError.TooManyOpenSockets),
            () => connection);
        guarded = new GuardedListener(inner, TimeProvider.System, _ => seenDuringBackoff.Add(guarded!.IsBackingOff));

        Assert.False(guarded.IsBackingOff);
        Assert.Same(connection, await guarded.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal([true, true], seenDuringBackoff);
        Assert.False(guarded.IsBackingOff);
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
