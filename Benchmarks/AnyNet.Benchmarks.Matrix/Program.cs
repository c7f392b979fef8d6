using System.Diagnostics;
using System.Globalization;

namespace AnyNet.Benchmarks.Matrix;

/// <summary>
/// The echo matrix: every server x connections x message size, measured by the native load generator in one run,
/// reported as one table (ratios to the System.Net.Sockets baseline and to the C epoll ceiling) and one SVG chart.
/// Run it through Benchmarks/run.sh, which builds the native programs and raises the file-descriptor limit.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        MatrixOptions options;
        try
        {
            options = MatrixOptions.Parse(args);
        }
        catch (Exception error) when (error is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"matrix: {error.Message}");
            Console.Error.WriteLine(MatrixOptions.Usage);
            return 2;
        }

        foreach (string required in new[] { Path.Combine(options.NativeDirectory, "loadgen"), Path.Combine(options.NativeDirectory, "echo_epoll"), options.EchoServerPath })
        {
            if (!File.Exists(required))
            {
                Console.Error.WriteLine($"matrix: {required} is missing; run Benchmarks/run.sh, which builds it");
                return 2;
            }
        }

        if (Environment.ProcessorCount < 2 || Math.Max(options.ServerCore, options.ClientCore) >= Environment.ProcessorCount)
        {
            Console.Error.WriteLine("matrix: the server and the load generator need two different cores; pass --server-core/--client-core");
            return 2;
        }

        var stopwatch = Stopwatch.StartNew();
        var machine = MachineInfo.Read();
        Console.WriteLine($"AnyNet echo matrix ({(options.Quick ? "quick" : "full")}) on {machine.Cpu}, {machine.Cores} cores, {machine.Os}, {machine.Runtime}");
        Console.WriteLine($"server on core {options.ServerCore}, load generator on core {options.ClientCore}; load average at start {machine.LoadAverage}, other work {machine.BusyBefore:P0} of CPU time");

        var cells = new List<CellResult>();
        List<ServerSummary> summaries = RunMatrix(options, cells);

        string loadAfter = MachineInfo.ReadLoadAverage();
        double busyAfter = MachineInfo.MeasureBusy();
        var report = new Report(options, machine, loadAfter, busyAfter, stopwatch.Elapsed, cells, summaries);
        Directory.CreateDirectory(options.OutputDirectory);
        string suffix = options.Quick ? "-quick" : "";
        File.WriteAllText(Path.Combine(options.OutputDirectory, $"results{suffix}.md"), report.Markdown());
        File.WriteAllText(Path.Combine(options.OutputDirectory, $"results{suffix}.csv"), report.Csv());
        File.WriteAllText(Path.Combine(options.OutputDirectory, $"echo-matrix{suffix}.svg"), SvgChart.Render(options, machine, cells));
        Console.WriteLine();
        Console.WriteLine(report.MainTable());
        Console.WriteLine(report.PerCpuTable());
        Console.WriteLine(report.SummaryTable());
        Console.WriteLine(report.Targets());
        Console.WriteLine($"wrote {options.OutputDirectory}/results{suffix}.md, results{suffix}.csv and echo-matrix{suffix}.svg in {stopwatch.Elapsed.TotalSeconds:F0} s");
        return 0;
    }

    // Every server runs at once (each idle except while measured) and each cell is measured on every server back to
    // back, so a disturbance from other work on the machine hits all servers of a cell alike and the ratios stay fair.
    private static List<ServerSummary> RunMatrix(MatrixOptions options, List<CellResult> cells)
    {
        var summaries = new List<ServerSummary>();
        var running = new List<(ServerProcess Process, int Index)>();
        try
        {
            foreach (string server in options.Servers)
            {
                ServerProcess? process = ServerProcess.TryStart(server, zeroRead: false, options, out string? reason);
                if (process is null)
                {
                    string why = FirstLine(reason);
                    Console.WriteLine($"{server}: skipped: {why}");
                    summaries.Add(new ServerSummary(server) { SkipReason = why });
                    continue;
                }

                Console.WriteLine($"{server}: listening on port {process.Port} (pid {process.Pid})");
                summaries.Add(new ServerSummary(server));
                running.Add((process, summaries.Count - 1));
            }

            foreach (int connections in options.Connections)
            {
                foreach (int size in options.Sizes)
                {
                    Console.WriteLine($"-- {connections} connections x {Report.SizeText(size)}");
                    var best = new CellResult?[running.Count];
                    for (int round = 0; round < options.Repeat; round++)
                    {
                        for (int k = 0; k < running.Count; k++)
                        {
                            (ServerProcess process, int index) = running[k];
                            string server = summaries[index].Server;
                            CellResult cell = process.HasExited
                                ? new CellResult(server, connections, size) { Failure = "the server had exited" }
                                : MeasureCell(server, process, options, connections, size);
                            Console.WriteLine(cell.Failure is null
                                ? string.Create(CultureInfo.InvariantCulture, $"   {server,-8} {cell.MessagesPerSecond,12:N0} msg/s {cell.MegabytesPerSecond,9:F1} MB/s  p50 {cell.P50Microseconds,9:F1} us  p99 {cell.P99Microseconds,9:F1} us  errors {cell.Errors}  cpu server {cell.ServerCpu:F2} loadgen {cell.ClientCpu:F2}{(cell.ClientBound ? "  (loadgen-bound)" : "")}")
                                : $"   {server,-8} failed: {cell.Failure}");
                            if (best[k] is not { Failure: null } previous || (cell.Failure is null && cell.MessagesPerSecond > previous.MessagesPerSecond))
                            {
                                best[k] = cell;
                            }
                        }
                    }

                    cells.AddRange(best.OfType<CellResult>());
                }
            }

            foreach ((ServerProcess process, int index) in running)
            {
                summaries[index] = Finish(process, summaries[index], options);
            }
        }
        finally
        {
            foreach ((ServerProcess process, _) in running)
            {
                process.Dispose();
            }
        }

        if (options.MeasureIdle)
        {
            for (int i = 0; i < summaries.Count; i++)
            {
                if (summaries[i].SkipReason is null)
                {
                    summaries[i] = MeasureIdle(summaries[i].Server, options, summaries[i]);
                }
            }
        }

        return summaries;
    }

    // Connection churn, peak memory, then stop the server and keep what it printed about errors.
    private static ServerSummary Finish(ServerProcess process, ServerSummary summary, MatrixOptions options)
    {
        string server = summary.Server;
        if (options.MeasureChurn && !process.HasExited)
        {
            try
            {
                Dictionary<string, string> churn = LoadGen.Run(options, "churn", process.Port, process.Pid, 50, 64, 0.5, options.ChurnSeconds);
                summary = summary with
                {
                    ChurnPerSecond = Number(churn, "msgs_per_s"),
                    ChurnErrors = (long)Number(churn, "errors"),
                    ChurnServerCpu = Number(churn, "server_cpu"),
                    ChurnClientCpu = Number(churn, "client_cpu"),
                };
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{server}: churn (50 workers: connect, 64 B echo, close) {summary.ChurnPerSecond:N0} conn/s, errors {summary.ChurnErrors}, cpu server {summary.ChurnServerCpu:F2} loadgen {summary.ChurnClientCpu:F2}"));
            }
            catch (Exception error) when (error is InvalidOperationException or TimeoutException)
            {
                summary.Notes = Append(summary.Notes, $"churn failed: {error.Message}");
            }
        }

        bool died = process.HasExited;
        if (!died)
        {
            summary = summary with { PeakRssBytes = process.ReadStatusBytes("VmHWM") };
        }

        process.Stop();
        if (died)
        {
            summary.Notes = Append(summary.Notes, $"server exited during the run: {FirstLine(process.ErrorOutput)}");
            Console.WriteLine($"{server}: exited during the run: {process.ErrorOutput}");
        }
        else if (process.ErrorOutput.Length > 0)
        {
            Console.WriteLine($"{server}: {process.ErrorOutput.Replace("\n", "\n   ", StringComparison.Ordinal)}");
        }

        return summary;
    }

    private static CellResult MeasureCell(string server, ServerProcess process, MatrixOptions options, int connections, int size)
    {
        try
        {
            Dictionary<string, string> r = LoadGen.Run(options, "echo", process.Port, process.Pid, connections, size, options.WarmupSeconds, options.DurationSeconds);
            return new CellResult(server, connections, size)
            {
                MessagesPerSecond = Number(r, "msgs_per_s"),
                MegabytesPerSecond = Number(r, "mb_per_s"),
                P50Microseconds = Number(r, "p50_us"),
                P99Microseconds = Number(r, "p99_us"),
                Errors = (long)Number(r, "errors"),
                Connected = (int)Number(r, "connected"),
                ClientCpu = Number(r, "client_cpu"),
                ServerCpu = Number(r, "server_cpu"),
                Failure = Number(r, "connected") <= 0 ? $"no connection was made: {r.GetValueOrDefault("stderr")}" : null,
            };
        }
        catch (Exception error) when (error is InvalidOperationException or TimeoutException)
        {
            return new CellResult(server, connections, size) { Failure = FirstLine(error.Message) };
        }
    }

    // Idle memory: a fresh server in zero-byte-read mode (an idle connection holds no buffer), N connections that each
    // echoed once, then a full GC; RSS growth and managed-heap growth divided by N.
    private static ServerSummary MeasureIdle(string server, MatrixOptions options, ServerSummary summary)
    {
        using ServerProcess? process = ServerProcess.TryStart(server, zeroRead: true, options, out string? reason);
        if (process is null)
        {
            summary.Notes = Append(summary.Notes, $"idle phase did not start: {FirstLine(reason)}");
            return summary;
        }

        try
        {
            long managedBefore = process.CollectGarbage();
            long rssBefore = process.ReadStatusBytes("VmRSS");
            using Process idle = LoadGen.StartIdle(options, process.Port, options.IdleConnections, out string readyLine);
            Dictionary<string, string> ready = LoadGen.ParseLine(readyLine);
            int connected = (int)Number(ready, "connected");
            Thread.Sleep(500); // let the server finish its side of the last echoes before it is measured
            long managedAfter = process.CollectGarbage();
            long rssAfter = process.ReadStatusBytes("VmRSS");
            idle.StandardInput.Close();
            if (!idle.WaitForExit(30000))
            {
                idle.Kill(entireProcessTree: true);
            }

            if (connected <= 0)
            {
                summary.Notes = Append(summary.Notes, "idle phase: no connection was made");
                return summary;
            }

            ServerSummary measured = summary with
            {
                IdleConnections = connected,
                IdleRssBytesPerConnection = (double)(rssAfter - rssBefore) / connected,
                IdleManagedBytesPerConnection = (double)(managedAfter - managedBefore) / connected,
            };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{server}: idle: {connected} connections, RSS +{measured.IdleRssBytesPerConnection:F0} B/conn, managed heap +{measured.IdleManagedBytesPerConnection:F0} B/conn"));
            return measured;
        }
        catch (Exception error) when (error is InvalidOperationException or TimeoutException or IOException)
        {
            summary.Notes = Append(summary.Notes, $"idle phase failed: {FirstLine(error.Message)}");
            Console.WriteLine($"{server}: idle phase failed: {error.Message}");
            return summary;
        }
    }

    private static double Number(Dictionary<string, string> values, string key) =>
        values.TryGetValue(key, out string? text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : 0;

    private static string FirstLine(string? text) => (text ?? "").Trim().Split('\n')[0].Trim();

    private static string Append(string? notes, string note) => string.IsNullOrEmpty(notes) ? note : $"{notes}; {note}";
}
