namespace AnyNet.Backends.Simulated;

/// <summary>Runs a scenario on fresh simulated networks, one seed after another, to find (and then replay) a failing interleaving.</summary>
public static class SimulationRunner
{
    /// <summary>
    /// Runs <paramref name="scenario"/> for the seeds <paramref name="firstSeed"/> .. <paramref name="firstSeed"/> +
    /// <paramref name="count"/> - 1, each on a new network, and stops at the first that throws. Its seed is all it takes
    /// to replay the failure: <c>ExploreAsync(scenario, seed, 1)</c>.
    /// </summary>
    /// <param name="scenario">Builds the hosts, starts their programs and checks the invariant; it throws to fail.</param>
    /// <param name="firstSeed">The first seed.</param>
    /// <param name="count">How many seeds to try.</param>
    /// <param name="options">The options of each network (its <see cref="SimulatedNetworkOptions.Seed"/> is replaced); null for the defaults.</param>
    /// <param name="wallClockLimit">Real time one seed may take before it counts as failed (a livelock); default one minute.</param>
    /// <param name="cancellationToken">Stops the exploration.</param>
    public static async Task<SeedRunResult> ExploreAsync(
        Func<SimulatedNetwork, CancellationToken, Task> scenario,
        int firstSeed,
        int count,
        SimulatedNetworkOptions? options = null,
        TimeSpan? wallClockLimit = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        options ??= new SimulatedNetworkOptions();
        TimeSpan limit = wallClockLimit ?? TimeSpan.FromMinutes(1);
        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int seed = unchecked(firstSeed + i);
            var network = new SimulatedNetwork(options with { Seed = seed });
            Exception? failure = null;
            string? trace = null;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                await network.RunAsync(
                    async token =>
                    {
                        try
                        {
                            await scenario(network, token);
                        }
                        finally
                        {
                            // The trace ends where the scenario ends, on the scheduler: what runs after it (the programs
                            // left running until the network is disposed from this thread) depends on real timing.
                            trace = network.TraceText();
                        }
                    },
                    stop.Token).WaitAsync(limit, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException error)
            {
                failure = new TimeoutException($"Seed {seed} did not finish within {limit} of real time (a livelock, or code waiting for something outside the simulation).", error);
                await stop.CancelAsync().ConfigureAwait(false);
            }
            catch (Exception error) when (!cancellationToken.IsCancellationRequested)
            {
                failure = error;
            }
            finally
            {
                await network.DisposeAsync().ConfigureAwait(false);
            }

            if (failure is not null)
            {
                return new SeedRunResult(i + 1, seed, failure, trace ?? network.TraceText(), network.DeterminismViolations);
            }
        }

        return new SeedRunResult(count, null, null, null, []);
    }
}
