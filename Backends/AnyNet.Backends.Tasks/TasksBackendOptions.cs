namespace AnyNet.Backends.Tasks;

/// <summary>Options of the <see cref="TasksBackend"/>.</summary>
public sealed record TasksBackendOptions
{
    /// <summary>The clock for sleeps and deadlines (default: <see cref="TimeProvider.System"/>; a manual clock for tests).</summary>
    public TimeProvider? TimeProvider { get; init; }
}
