namespace AnyNet.Conformance;

/// <summary>The generic stream checks on <see cref="MemoryByteStream"/> pairs, run on the backend's scheduler.</summary>
public abstract class MemoryStreamPairConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        (MemoryByteStream left, MemoryByteStream right) = MemoryByteStream.CreatePair();
        return Task.FromResult<(IByteStream, IByteStream)>((left, right));
    }
}
