namespace AnyNet.Conformance;

/// <summary>
/// A fixture that can make its backend run on a given clock. Implement it, next to <see cref="IBackendFixture"/>, when the
/// backend declares <see cref="BackendCapabilities.VirtualTime"/>: the virtual-time area uses it to hand the backend a
/// <see cref="Testing.ManualTimeProvider"/> and skips, with the reason, when the fixture does not implement it.
/// </summary>
public interface IVirtualTimeBackendFixture : IBackendFixture
{
    /// <summary>Creates a fresh backend whose <see cref="IAsyncBackend.TimeProvider"/> is (or delegates to) <paramref name="clock"/>.</summary>
    IAsyncBackend CreateBackend(TimeProvider clock);
}
