using AnyNet.Backends.Simulated;
using AnyNet.Samples.SimulatedCluster;

// dotnet run --project Samples/SimulatedCluster -- [--seeds 200] [--first-seed 1] [--variant correct|buggy|both] [--trace]
int seeds = 200;
int firstSeed = 1;
string variant = "both";
bool printTrace = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seeds": seeds = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--first-seed": firstSeed = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--variant": variant = args[++i]; break;
        case "--trace": printTrace = true; break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'");
            return 2;
    }
}

int exit = 0;
foreach (bool buggy in variant switch { "correct" => new[] { false }, "buggy" => [true], _ => [false, true] })
{
    string name = buggy ? "buggy (acknowledges before the write is durable)" : "correct (durable before acknowledging)";
    var watch = System.Diagnostics.Stopwatch.StartNew();
    SeedRunResult result = await SimulationRunner.ExploreAsync((network, token) => ClusterScenario.RunAsync(network, buggy, token), firstSeed, seeds);
    Console.WriteLine($"{name}: {result} ({watch.Elapsed.TotalSeconds:0.0} s of real time)");
    if (!result.Passed)
    {
        Console.WriteLine($"  replay it with: --variant {(buggy ? "buggy" : "correct")} --first-seed {result.FailingSeed} --seeds 1 --trace");
        if (printTrace)
        {
            Console.WriteLine(result.Trace);
        }

        exit = buggy ? exit : 1;
    }
    else if (buggy)
    {
        Console.WriteLine("  the simulator did not catch the planted bug within the seed budget");
        exit = 1;
    }
}

return exit;
