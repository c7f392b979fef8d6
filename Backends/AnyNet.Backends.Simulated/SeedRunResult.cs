namespace AnyNet.Backends.Simulated;

/// <summary>The outcome of running a scenario over a range of seeds (<see cref="SimulationRunner.ExploreAsync"/>).</summary>
/// <param name="SeedsRun">How many seeds ran (up to and including the failing one).</param>
/// <param name="FailingSeed">The first seed whose run failed, or null if every seed passed.</param>
/// <param name="Failure">What the failing run threw.</param>
/// <param name="Trace">The failing run's trace (<see cref="SimulatedNetwork.TraceText"/>) up to the end of its scenario: replay it with the same seed.</param>
/// <param name="DeterminismViolations">What escaped the simulation in the failing run; if any, the seed may not replay exactly.</param>
public sealed record SeedRunResult(int SeedsRun, int? FailingSeed, Exception? Failure, string? Trace, IReadOnlyList<string> DeterminismViolations)
{
    /// <summary>True when every seed passed.</summary>
    public bool Passed => FailingSeed is null;

    /// <summary>A one-line summary: the failing seed and its error, or how many seeds passed.</summary>
    public override string ToString() => Passed
        ? $"all {SeedsRun} seeds passed"
        : $"seed {FailingSeed} failed after {SeedsRun} seeds: {Failure?.GetType().Name}: {Failure?.Message}";
}
