using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AnyNet.Benchmarks.Micro;

/// <summary>
/// BenchmarkDotNet micro-benchmarks with the memory diagnoser: allocations per echo round trip on every backend,
/// task-group spawn+join, 100k concurrent sleeps, and memory object streams next to a raw Channel&lt;T&gt;.
/// <c>--alloc</c> prints the exact steady-state bytes per echo round trip of each backend instead; <c>--alloc-lines</c>
/// the bytes per line of the buffered stream's ReceiveUntilAsync next to a PipeReader line loop.
/// Run with <c>Benchmarks/run.sh --micro</c> (extra arguments go to BenchmarkDotNet, e.g. <c>--filter *Echo*</c>).
/// </summary>
internal static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--alloc")
        {
            AllocationCheck.Run();
            return;
        }

        if (args.Length > 0 && args[0] == "--alloc-lines")
        {
            LineAllocationCheck.Run();
            return;
        }

        // In-process: no per-benchmark project generation and build (minutes on a busy two-core machine); short runs
        // because several developers share the machine and every benchmark here does thousands of operations per call.
        IConfig config = DefaultConfig.Instance
            .AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1)
                .WithWarmupCount(3)
                .WithIterationCount(10))
            .AddDiagnoser(MemoryDiagnoser.Default);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
