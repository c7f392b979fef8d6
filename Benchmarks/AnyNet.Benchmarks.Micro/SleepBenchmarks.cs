using BenchmarkDotNet.Attributes;

namespace AnyNet.Benchmarks.Micro;

/// <summary>100,000 concurrent 1 ms sleeps on the backend's clock, all awaited together (timer scalability).</summary>
public class SleepBenchmarks
{
    private const int Sleepers = 100_000;

    private IAsyncBackend? _backend;
    private Func<CancellationToken, Task<int>>? _sleepAll;

    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "";

    public static IEnumerable<string> Backends() => BackendNames.Available();

    [GlobalSetup]
    public void Setup()
    {
        IAsyncBackend backend = BackendNames.Create(Backend);
        _backend = backend;
        var sleeps = new Task[Sleepers];
        TimeSpan delay = TimeSpan.FromMilliseconds(1);
        _sleepAll = async token =>
        {
            for (int i = 0; i < sleeps.Length; i++)
            {
                sleeps[i] = backend.SleepAsync(delay, token);
            }

            await Task.WhenAll(sleeps);
            return sleeps.Length;
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _backend?.Dispose();

    [Benchmark]
    public Task<int> HundredThousandSleeps() => _backend!.RunAsync(_sleepAll!);
}
