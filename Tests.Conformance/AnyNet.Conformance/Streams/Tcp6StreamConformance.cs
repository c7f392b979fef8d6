namespace AnyNet.Conformance;

/// <summary>The generic stream checks on TCP over IPv6 loopback.</summary>
public abstract class Tcp6StreamConformance<TFixture> : ByteStreamConformance<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <inheritdoc />
    protected override (BackendCapabilities Capability, string Why)? Requirement => (BackendCapabilities.Ipv6, "TCP over ::1");

    /// <inheritdoc />
    protected override async Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Xunit.Skip.IfNot(StreamTestHelpers.Ipv6LoopbackUsable(), "skipped: this machine has no usable ::1");
        await using ISocketListener listener = backend.ListenTcp(StreamTestHelpers.Loopback6);
        return await StreamTestHelpers.ConnectPairAsync(backend, listener, cancellationToken);
    }
}
