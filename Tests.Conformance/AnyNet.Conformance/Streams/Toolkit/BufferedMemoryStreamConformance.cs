namespace AnyNet.Conformance;

/// <summary>The generic stream checks, unchanged, on <see cref="BufferedByteStream"/> wrapping both ends of a memory pair.</summary>
public abstract class BufferedMemoryStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        (MemoryByteStream left, MemoryByteStream right) = MemoryByteStream.CreatePair();
        return Task.FromResult<(IByteStream, IByteStream)>((new BufferedByteStream(left, bufferSize: 16), new BufferedByteStream(right)));
    }
}
