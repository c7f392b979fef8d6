using AnyNet.Backends.Simulated;
using AnyNet.Conformance;
using AnyNet.Testing;

namespace AnyNet.Conformance.Tests.Simulated;

/// <summary>Each test gets one host of a fresh simulated network (disposing the host disposes the network).</summary>
public sealed class SimulatedFixture : IVirtualTimeBackendFixture
{
    // One seed for the whole run, so a failure replays; ANYNET_SIM_SEED explores another interleaving.
    private static readonly int s_seed = int.TryParse(Environment.GetEnvironmentVariable("ANYNET_SIM_SEED"), out int seed) ? seed : 1;

    // The suite's Unix tests look for the socket file, so the fixture mirrors Unix paths to the file system.
    public IAsyncBackend CreateBackend() => SimulatedHost.CreateStandalone(new SimulatedNetworkOptions
    {
        Seed = s_seed,
        MirrorUnixPathsToFileSystem = true,
    });

    public IAsyncBackend CreateBackend(TimeProvider clock) => SimulatedHost.CreateStandalone(new SimulatedNetworkOptions
    {
        Seed = s_seed,
        Clock = (ManualTimeProvider)clock,
        MirrorUnixPathsToFileSystem = true,
    });
}
