namespace AnyNet.Conformance;

/// <summary>The generic object stream checks on <see cref="StapledObjectStream{T}"/>s built from two memory object streams.</summary>
public abstract class StapledObjectStreamConformance<TFixture> : ObjectStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override Task<(IObjectStream<ReadOnlyMemory<byte>> Left, IObjectStream<ReadOnlyMemory<byte>> Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        (MemoryObjectSendStream<ReadOnlyMemory<byte>> toRight, MemoryObjectReceiveStream<ReadOnlyMemory<byte>> rightInbox) = MemoryObjectStream.Create<ReadOnlyMemory<byte>>(16);
        (MemoryObjectSendStream<ReadOnlyMemory<byte>> toLeft, MemoryObjectReceiveStream<ReadOnlyMemory<byte>> leftInbox) = MemoryObjectStream.Create<ReadOnlyMemory<byte>>(16);
        return Task.FromResult<(IObjectStream<ReadOnlyMemory<byte>>, IObjectStream<ReadOnlyMemory<byte>>)>((
            new StapledObjectStream<ReadOnlyMemory<byte>>(toRight, leftInbox),
            new StapledObjectStream<ReadOnlyMemory<byte>>(toLeft, rightInbox)));
    }
}
