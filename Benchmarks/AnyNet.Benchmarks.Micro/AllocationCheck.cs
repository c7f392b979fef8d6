using System.Globalization;

namespace AnyNet.Benchmarks.Micro;

/// <summary>
/// The exact steady-state allocation per echo round trip on every backend (BenchmarkDotNet rounds per-operation
/// figures below one byte to zero; this does not round).
/// </summary>
internal static class AllocationCheck
{
    public static void Run()
    {
        Console.WriteLine("| backend | bytes allocated per 64 B echo round trip (steady state, client + server, 10,000 round trips) |");
        Console.WriteLine("|---|---:|");
        foreach (string backend in EchoRoundTripBenchmarks.Backends())
        {
            var benchmark = new EchoRoundTripBenchmarks { Backend = backend };
            benchmark.Setup();
            try
            {
                double bytes = benchmark.MeasureSteadyStateBytesPerRoundTrip();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {backend} | {bytes:F2} |"));
            }
            finally
            {
                benchmark.Cleanup();
            }
        }
    }
}
