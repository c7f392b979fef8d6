using AnyNet.Backends.Simulated;
using AnyNet.Samples.SimulatedCluster;
using Xunit;

namespace AnyNet.Conformance.Tests.Simulated;

/// <summary>The SimulatedCluster sample: the simulator catches the planted bug within the seed budget, and the correct store passes.</summary>
public sealed class SimulatedClusterSampleTests
{
    private const int SeedBudget = 200;

    [Fact]
    public async Task The_buggy_store_is_caught_within_the_seed_budget_and_its_seed_replays_the_failure()
    {
        SeedRunResult result = await SimulationRunner.ExploreAsync((network, token) => ClusterScenario.RunAsync(network, buggy: true, token), 1, SeedBudget);
        Assert.False(result.Passed, "the planted bug survived every seed");
        Assert.IsType<InvariantViolationException>(result.Failure);

        SeedRunResult replay = await SimulationRunner.ExploreAsync((network, token) => ClusterScenario.RunAsync(network, buggy: true, token), result.FailingSeed!.Value, 1);
        Assert.Equal(result.Failure!.Message, replay.Failure!.Message);
        Assert.Equal(result.Trace, replay.Trace);
    }

    [Fact]
    public async Task The_correct_store_keeps_every_acknowledged_write_and_stays_inside_the_simulation()
    {
        // A part of the budget keeps the test quick; the sample itself runs all 200 seeds.
        SeedRunResult result = await SimulationRunner.ExploreAsync((network, token) => ClusterScenario.RunAsync(network, buggy: false, token), 1, 40);
        Assert.True(result.Passed, result.ToString() + "\n" + result.Trace);

        await using var network = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = 7 });
        await network.RunAsync(token => ClusterScenario.RunAsync(network, buggy: false, token)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(network.DeterminismViolations);
    }
}
