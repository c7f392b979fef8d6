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

    [Fact]
    public async Task One_seed_replays_the_same_trace_twenty_times_on_a_busy_machine()
    {
        // Twenty runs of one seed, four at a time, while other threads keep the CPUs and the thread pool busy: real
        // timing changes from run to run, the trace must not.
        using var stress = new CancellationTokenSource();
        Task[] noise = [.. Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(() => KeepBusy(stress.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))];
        try
        {
            string[] traces = new string[20];
            for (int batch = 0; batch < traces.Length; batch += 4)
            {
                string[] done = await Task.WhenAll(Enumerable.Range(batch, 4).Select(_ => Task.Run(() => TraceOfAsync(seed: 11))));
                done.CopyTo(traces, batch);
            }

            Assert.True(traces[0].Split('\n').Length > 1000, "the scenario should record a substantial trace");
            for (int i = 1; i < traces.Length; i++)
            {
                Assert.Equal(traces[0], traces[i]);
            }
        }
        finally
        {
            await stress.CancelAsync();
            await Task.WhenAll(noise);
        }
    }

    private static async Task<string> TraceOfAsync(int seed)
    {
        await using var network = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = seed });
        string trace = await network.RunAsync(async token =>
        {
            await ClusterScenario.RunAsync(network, buggy: false, token);
            return network.TraceText();   // on the scheduler, where the scenario ends
        }).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(network.DeterminismViolations);
        return trace;
    }

    private static void KeepBusy(CancellationToken stop)
    {
        // Spins, and floods the thread pool with short work items, until stopped.
        while (!stop.IsCancellationRequested)
        {
            for (int i = 0; i < 64; i++)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static _ => Thread.SpinWait(2000), (object?)null, preferLocal: false);
            }

            Thread.SpinWait(200_000);
        }
    }
}
