using AnyNet.Adapters;

namespace AnyNet.Conformance;

/// <summary>The generic stream checks on TCP streams taken through <c>AsStream()</c> and back with <c>AsByteStream()</c> (AnyNet → Stream → AnyNet).</summary>
public abstract class StreamRoundTripStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override async Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
        return (client.AsStream().AsByteStream(), server.AsStream().AsByteStream());
    }
}
