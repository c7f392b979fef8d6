using AnyNet.Backends.Simulated;
using AnyNet.Conformance;
using AnyNet.Testing;

namespace AnyNet.Conformance.Tests.Simulated;

/// <summary>
/// Each test gets one host of a fresh simulated network (disposing the host disposes the network). xunit makes a
/// fixture per test, and a test that makes a second backend (the hosting area: a client and a server that meet on
/// 127.0.0.1) gets another process of the same machine, which shares its loopback, as two programs on one computer do.
/// </summary>
public sealed class SimulatedFixture : IVirtualTimeBackendFixture
{
    // One seed for the whole run, so a failure replays; ANYNET_SIM_SEED explores another interleaving.
    private static readonly int s_seed = int.TryParse(Environment.GetEnvironmentVariable("ANYNET_SIM_SEED"), out int seed) ? seed : 1;

    private SimulatedHost? _machine;

    public IAsyncBackend CreateBackend() => Create(null);

    public IAsyncBackend CreateBackend(TimeProvider clock) => Create((ManualTimeProvider)clock);

    private SimulatedHost Create(ManualTimeProvider? clock)
    {
        if (clock is null && _machine is { Network.IsDisposed: false } machine)
        {
            return machine.CreateProcess();
        }

        // The suite cancels through CancelAsync (callbacks on the thread pool) and waits for real threads: while such
        // work is under way, virtual time waits for it (up to the grace; with no outside work there is no wait at all).
        // The grace must outlast a pool thread's wait for a core on a loaded machine (CI runs test assemblies in parallel;
        // this machine saw load averages of 20): with none, a CancelAsync callback loses to an hour-long sleep
        // (TimeConformance). 100 ms (1 s once outside work is active) cost no measurable wall time against 25 ms in
        // alternating runs, since the wait ends as soon as the work is back. ANYNET_SIM_GRACE_MS changes it (0 shows
        // which tests depend on it). The suite's Unix tests look for the socket file: mirror the paths.
        SimulatedHost host = SimulatedHost.CreateStandalone(new SimulatedNetworkOptions
        {
            Seed = s_seed,
            Clock = clock,
            MirrorUnixPathsToFileSystem = true,
            OutsideWorkGrace = TimeSpan.FromMilliseconds(int.TryParse(Environment.GetEnvironmentVariable("ANYNET_SIM_GRACE_MS"), out int grace) ? grace : 100),
            // Local round trips take a little virtual time, as they take a little real time (a served connection has a duration).
            LoopbackLatency = clock is null ? TimeSpan.FromMicroseconds(10) : TimeSpan.Zero,
        });
        if (clock is null)
        {
            _machine = host;
        }

        return host;
    }
}
