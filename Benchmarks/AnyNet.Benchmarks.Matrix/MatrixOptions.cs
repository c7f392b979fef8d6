using System.Globalization;

namespace AnyNet.Benchmarks.Matrix;

/// <summary>The matrix's command line.</summary>
internal sealed record MatrixOptions
{
    public bool Quick { get; init; }

    public IReadOnlyList<string> Servers { get; init; } = ["c-epoll", "sockets", "tasks", "reactor", "libuv"];

    public IReadOnlyList<int> Connections { get; init; } = [1, 100, 1000, 10000];

    public IReadOnlyList<int> Sizes { get; init; } = [64, 1024, 16384];

    public double WarmupSeconds { get; init; } = 0.5;

    public double DurationSeconds { get; init; } = 2;

    /// <summary>Rounds per cell (every server once per round); the best round counts, which filters out interference.</summary>
    public int Repeat { get; init; } = 2;

    public double ChurnSeconds { get; init; } = 2;

    public int IdleConnections { get; init; } = 10000;

    public bool MeasureIdle { get; init; } = true;

    public bool MeasureChurn { get; init; } = true;

    public int ServerCore { get; init; }

    /// <summary>
    /// A taskset CPU list for the server instead of <see cref="ServerCore"/> (for example "0,1" for a server with two
    /// loops, such as reactor-2); null: the one core.
    /// </summary>
    public string? ServerCpus { get; init; }

    public int ClientCore { get; init; } = 1;

    public string NativeDirectory { get; init; } = "Benchmarks/native/bin";

    public string EchoServerPath { get; init; } = "Benchmarks/AnyNet.Benchmarks.EchoServer/bin/Release/net10.0/AnyNet.Benchmarks.EchoServer.dll";

    public string OutputDirectory { get; init; } = "Benchmarks/results";

    public static string Usage => """
        usage: AnyNet.Benchmarks.Matrix [--quick] [--servers c-epoll,sockets,tasks,reactor,libuv] [--conns 1,100,1000,10000]
               [--sizes 64,1024,16384] [--warmup S] [--duration S] [--repeat N] [--churn S|0] [--idle N|0] [--server-core C] [--server-cpus LIST] [--client-core C]
               [--native-dir DIR] [--echo-server DLL] [--out DIR]
        """;

    public static MatrixOptions Parse(string[] args)
    {
        var options = new MatrixOptions();
        if (args.Contains("--quick"))
        {
            // One cell (100 x 1 KiB) per server, short runs, no idle-memory phase: well under a minute.
            options = options with
            {
                Quick = true,
                Connections = [100],
                Sizes = [1024],
                WarmupSeconds = 0.5,
                DurationSeconds = 2,
                Repeat = 1,
                ChurnSeconds = 1,
                MeasureIdle = false,
            };
        }

        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--quick")
            {
                continue;
            }

            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--servers" => options with { Servers = value.Split(',', StringSplitOptions.RemoveEmptyEntries) },
                "--repeat" => options with { Repeat = Math.Max(1, int.Parse(value, CultureInfo.InvariantCulture)) },
                "--conns" => options with { Connections = ParseInts(value) },
                "--sizes" => options with { Sizes = ParseInts(value) },
                "--warmup" => options with { WarmupSeconds = double.Parse(value, CultureInfo.InvariantCulture) },
                "--duration" => options with { DurationSeconds = double.Parse(value, CultureInfo.InvariantCulture) },
                "--churn" => options with
                {
                    ChurnSeconds = double.Parse(value, CultureInfo.InvariantCulture),
                    MeasureChurn = double.Parse(value, CultureInfo.InvariantCulture) > 0,
                },
                "--idle" => options with
                {
                    IdleConnections = int.Parse(value, CultureInfo.InvariantCulture),
                    MeasureIdle = int.Parse(value, CultureInfo.InvariantCulture) > 0,
                },
                "--server-core" => options with { ServerCore = int.Parse(value, CultureInfo.InvariantCulture) },
                "--server-cpus" => options with { ServerCpus = value },
                "--client-core" => options with { ClientCore = int.Parse(value, CultureInfo.InvariantCulture) },
                "--native-dir" => options with { NativeDirectory = value },
                "--echo-server" => options with { EchoServerPath = value },
                "--out" => options with { OutputDirectory = value },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
            i++;
        }

        return options;
    }

    private static int[] ParseInts(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
}
