using AnyNet.Adapters;

namespace AnyNet.Conformance;

/// <summary>The generic stream checks on TCP streams taken through <c>AsDuplexPipe()</c> and back with <c>AsByteStream()</c> (AnyNet → IDuplexPipe → AnyNet).</summary>
public abstract class DuplexPipeRoundTripStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override async Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback4);
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
        return (client.AsDuplexPipe().AsByteStream(), server.AsDuplexPipe().AsByteStream());
    }
}
