namespace AnyNet.Conformance;

/// <summary>
/// The generic stream checks, unchanged, on <see cref="StapledByteStream"/>s built from two in-memory pairs: each side
/// sends on one pair and receives on the other.
/// </summary>
public abstract class StapledMemoryStreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        (MemoryByteStream leftToRightIn, MemoryByteStream leftToRightOut) = MemoryByteStream.CreatePair();
        (MemoryByteStream rightToLeftIn, MemoryByteStream rightToLeftOut) = MemoryByteStream.CreatePair();
        return Task.FromResult<(IByteStream, IByteStream)>((
            new StapledByteStream(leftToRightIn, rightToLeftOut),
            new StapledByteStream(rightToLeftIn, leftToRightOut)));
    }
}
