using BenchmarkDotNet.Attributes;

namespace AnyNet.Benchmarks.Micro;

/// <summary>Cost of one task-group child: Start, run (an already-completed body), and the group's join, per child.</summary>
public class TaskGroupBenchmarks
{
    private const int Children = 1000;

    private static readonly Func<CancellationToken, Task> s_child = _ => Task.CompletedTask;
    private static readonly Func<TaskGroup, Task> s_body = group =>
    {
        for (int i = 0; i < Children; i++)
        {
            group.Start(s_child);
        }

        return Task.CompletedTask;
    };

    private static readonly Func<CancellationToken, Task<int>> s_inGroup = async token =>
    {
        await TaskGroup.RunAsync(s_body, token);
        return 0;
    };

    private IAsyncBackend? _backend;

    /// <summary><c>threadpool</c>: the group runs with no backend (no SynchronizationContext); otherwise inside the backend's RunAsync.</summary>
    [ParamsSource(nameof(Schedulers))]
    public string Scheduler { get; set; } = "";

    public static IEnumerable<string> Schedulers() => BackendNames.Available().Prepend("threadpool");

    [GlobalSetup]
    public void Setup() => _backend = Scheduler == "threadpool" ? null : BackendNames.Create(Scheduler);

    [GlobalCleanup]
    public void Cleanup() => _backend?.Dispose();

    [Benchmark(OperationsPerInvoke = Children)]
    public Task SpawnJoinPerChild() => _backend is { } backend ? backend.RunAsync(s_inGroup) : TaskGroup.RunAsync(s_body);
}
