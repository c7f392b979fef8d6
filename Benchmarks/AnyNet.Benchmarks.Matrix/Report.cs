using System.Globalization;
using System.Text;

namespace AnyNet.Benchmarks.Matrix;

/// <summary>Turns the measurements into Markdown tables, a CSV file and the target verdicts.</summary>
internal sealed class Report(MatrixOptions options, MachineInfo machine, string loadAfter, double busyAfter, TimeSpan elapsed, IReadOnlyList<CellResult> cells, IReadOnlyList<ServerSummary> summaries)
{
    public const string Baseline = "sockets";
    public const string Ceiling = "c-epoll";
    private static readonly string[] s_loopBackends = ["reactor", "libuv"];
    private static readonly string[] s_anyNetBackends = ["tasks", "reactor", "libuv"];

    public static string SizeText(int size) => size >= 1024 && size % 1024 == 0 ? $"{size / 1024} KiB" : $"{size} B";

    public static string Rate(double value) => value switch
    {
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{value / 1_000_000:F2}M"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{value / 1_000:F1}k"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{value:F0}"),
    };

    private IEnumerable<string> MeasuredServers => summaries.Where(s => s.SkipReason is null).Select(s => s.Server);

    public CellResult? Find(string server, int connections, int size) =>
        cells.FirstOrDefault(c => c.Server == server && c.Connections == connections && c.Size == size && c.Failure is null);

    public double Ratio(string server, string reference, int connections, int size) =>
        Find(server, connections, size) is { } a && Find(reference, connections, size) is { MessagesPerSecond: > 0 } b
            ? a.MessagesPerSecond / b.MessagesPerSecond
            : double.NaN;

    /// <summary>The ratio of messages per server CPU-second, the figure the performance targets use.</summary>
    public double CpuRatio(string server, string reference, int connections, int size) =>
        Find(server, connections, size) is { MessagesPerServerCpuSecond: > 0 } a && Find(reference, connections, size) is { MessagesPerServerCpuSecond: > 0 } b
            ? a.MessagesPerServerCpuSecond / b.MessagesPerServerCpuSecond
            : double.NaN;

    /// <summary>One row per cell, one column per server: messages per server CPU-second and its ratios to the references.</summary>
    public string PerCpuTable() => CellTable((server, connections, size) =>
        Find(server, connections, size) is { MessagesPerServerCpuSecond: > 0 } cell
            ? $" {Rate(cell.MessagesPerServerCpuSecond)}{RatiosText(CpuRatio, server, connections, size)} |"
            : " - |") +
        "\nMessages per second of server CPU (msgs/s divided by the server's CPU fraction); S and C as above. This is the figure the targets use: it is not bounded by the load generator.\n";

    /// <summary>The table: one row per cell, one column per server; messages/s and the two ratios.</summary>
    public string MainTable() => CellTable((server, connections, size) =>
        cells.FirstOrDefault(c => c.Server == server && c.Connections == connections && c.Size == size) switch
        {
            null => " - |",
            { Failure: not null } => " failed |",
            var cell => $" {Rate(cell.MessagesPerSecond)}/s{RatiosText(Ratio, server, connections, size)}{(cell.ClientBound ? " †" : "")}{(cell.Errors > 0 ? $" ({cell.Errors} err)" : "")} |",
        }) +
        "\nMessages (round trips) per second; S = ratio to the System.Net.Sockets baseline, C = ratio to the C epoll server, in the same run.\n" +
        "† the load generator used as much CPU as the server: the figure is bounded by the generator (one core each), not only by the server.\n";

    // The grid both throughput tables share: a row per connections x size, a column per measured server.
    private string CellTable(Func<string, int, int, string> cellText)
    {
        var servers = MeasuredServers.ToList();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| conns x size | {string.Join(" | ", servers)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"|---|{string.Concat(servers.Select(_ => "---:|"))}");
        foreach (int connections in options.Connections)
        {
            foreach (int size in options.Sizes)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {connections} x {SizeText(size)} |");
                foreach (string server in servers)
                {
                    text.Append(cellText(server, connections, size));
                }

                text.AppendLine();
            }
        }

        return text.ToString();
    }

    // " (1.02x S, 0.58x C)": the ratios to the sockets baseline and the C ceiling, leaving out a server's own.
    private static string RatiosText(Func<string, string, int, int, double> ratio, string server, int connections, int size)
    {
        var parts = new[] { (Reference: Baseline, Letter: "S"), (Reference: Ceiling, Letter: "C") }
            .Where(r => r.Reference != server)
            .Select(r => (Value: ratio(server, r.Reference, connections, size), r.Letter))
            .Where(r => !double.IsNaN(r.Value))
            .Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Value:F2}x {r.Letter}"))
            .ToList();
        return parts.Count > 0 ? $" ({string.Join(", ", parts)})" : "";
    }

    /// <summary>Memory and connection churn per server.</summary>
    public string SummaryTable()
    {
        var text = new StringBuilder();
        text.AppendLine("| server | peak RSS | idle conns | RSS per idle conn | managed heap per idle conn | churn (conn/s) | notes |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (ServerSummary s in summaries)
        {
            if (s.SkipReason is not null)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {s.Server} | - | - | - | - | - | skipped: {Escape(s.SkipReason)} |");
                continue;
            }

            string idleRss = double.IsNaN(s.IdleRssBytesPerConnection) ? "-" : Bytes(s.IdleRssBytesPerConnection);
            string idleManaged = double.IsNaN(s.IdleManagedBytesPerConnection) ? "-" : s.Server == Ceiling ? "n/a" : Bytes(s.IdleManagedBytesPerConnection);
            string churn = s.ChurnPerSecond > 0 ? Rate(s.ChurnPerSecond) + (s.ChurnErrors > 0 ? $" ({s.ChurnErrors} err)" : "") : "-";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {s.Server} | {s.PeakRssBytes / 1048576.0:F1} MiB | {(s.IdleConnections > 0 ? s.IdleConnections.ToString(CultureInfo.InvariantCulture) : "-")} | {idleRss} | {idleManaged} | {churn} | {Escape(s.Notes ?? "")} |");
        }

        return text.ToString();
    }

    /// <summary>The issue's targets that the matrix can judge, each with the measured figure.</summary>
    public string Targets()
    {
        var text = new StringBuilder();
        const int Conns = 100;
        const int Size = 1024;
        text.AppendLine("Targets (measured, 100 connections x 1 KiB):");
        double tasks = Ratio("tasks", Baseline, Conns, Size);
        text.AppendLine(double.IsNaN(tasks)
            ? "- tasks >= 0.95x sockets: not measured (a server or the cell is missing)"
            : string.Create(CultureInfo.InvariantCulture, $"- tasks >= 0.95x sockets: {tasks:F2}x -> {(tasks >= 0.95 ? "met" : "NOT met")}"));

        var best = s_anyNetBackends
            .Select(b => (Backend: b, Ratio: Ratio(b, Ceiling, Conns, Size)))
            .Where(r => !double.IsNaN(r.Ratio))
            .OrderByDescending(r => r.Ratio)
            .FirstOrDefault();
        text.AppendLine(best.Backend is null
            ? "- best backend >= 0.95x C epoll: not measured"
            : string.Create(CultureInfo.InvariantCulture, $"- best backend >= 0.95x C epoll: {best.Backend} {best.Ratio:F2}x -> {(best.Ratio >= 0.95 ? "met" : "NOT met")}{(Find(Ceiling, Conns, Size)?.ClientBound == true ? " (the C cell is bounded by the load generator, so the real ceiling is higher)" : "")}"));

        text.AppendLine(CpuTarget("tasks >= 1.0x sockets per CPU-second, every cell", ["tasks"], Baseline, options.Connections, 1.0));
        text.AppendLine(CpuTarget("libuv >= 0.95x C epoll per CPU-second at 100 and 1000 connections", ["libuv"], Ceiling, options.Connections.Where(c => c >= 100), 0.95));
        text.AppendLine(CpuTarget("reactor and libuv >= 0.9x C epoll per CPU-second at 1 connection", s_loopBackends, Ceiling, options.Connections.Where(c => c == 1), 0.9));
        text.AppendLine(CpuTarget("reactor >= 1.0x C epoll per CPU-second from 100 connections", ["reactor"], Ceiling, options.Connections.Where(c => c >= 100), 1.0));

        foreach (string loop in s_loopBackends)
        {
            ServerSummary? s = summaries.FirstOrDefault(x => x.Server == loop);
            text.AppendLine(s is null || double.IsNaN(s.IdleRssBytesPerConnection)
                ? $"- {loop}: <= 4 KiB per idle connection: not measured{(s?.SkipReason is { } why ? $" ({why})" : "")}"
                : string.Create(CultureInfo.InvariantCulture, $"- {loop}: <= 4 KiB per idle connection at {s.IdleConnections}: {Bytes(s.IdleRssBytesPerConnection)} RSS, {Bytes(s.IdleManagedBytesPerConnection)} managed -> {(s.IdleRssBytesPerConnection <= 4096 ? "met" : "NOT met")}"));
        }

        return text.ToString();
    }

    // The worst measured ratio over the named cells, with the cell it was found in.
    private string CpuTarget(string name, IEnumerable<string> servers, string reference, IEnumerable<int> connections, double target)
    {
        var ratios = (from server in servers
                      from conns in connections
                      from size in options.Sizes
                      let ratio = CpuRatio(server, reference, conns, size)
                      where !double.IsNaN(ratio)
                      select (server, conns, size, ratio)).ToList();
        if (ratios.Count == 0)
        {
            return $"- {name}: not measured";
        }

        var worst = ratios.MinBy(r => r.ratio);
        return string.Create(CultureInfo.InvariantCulture, $"- {name}: worst {worst.ratio:F2}x ({worst.server}, {worst.conns} x {SizeText(worst.size)}) -> {(worst.ratio >= target ? "met" : "NOT met")}");
    }

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# AnyNet echo matrix ({(options.Quick ? "quick" : "full")})");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- date: {machine.Date:yyyy-MM-dd HH:mm} UTC; took {elapsed.TotalSeconds:F0} s");
        text.AppendLine(CultureInfo.InvariantCulture, $"- machine: {machine.Cpu}, {machine.Cores} cores; {machine.Os}; {machine.Runtime}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- server pinned to {(options.ServerCpus is { } cpus ? "CPUs " + cpus : "core " + options.ServerCore)}, load generator (C, epoll, one thread) to core {options.ClientCore}; {options.WarmupSeconds} s warm-up + {options.DurationSeconds} s per cell, best of {options.Repeat} round(s)");
        text.AppendLine(CultureInfo.InvariantCulture, $"- load average (1/5/15 min) before: {machine.LoadAverage}; after: {loadAfter} (includes this run's own load)");
        text.AppendLine(CultureInfo.InvariantCulture, $"- other work on the machine just before the run: {machine.BusyBefore:P0} of all CPU time; after: {busyAfter:P0}");
        if (machine.BusyBefore > 0.15 || busyAfter > 0.15)
        {
            text.AppendLine("- **the machine was busy**: other processes shared the two cores, so absolute figures are low and noisy. Ratios suffer less (each cell is measured on every server back to back, best of the rounds) but are still disturbed.");
        }

        text.AppendLine();
        text.AppendLine("## Throughput");
        text.AppendLine();
        text.AppendLine(MainTable());
        text.AppendLine("## Per server CPU-second");
        text.AppendLine();
        text.AppendLine(PerCpuTable());
        text.AppendLine("## Memory and connection churn");
        text.AppendLine();
        text.AppendLine(SummaryTable());
        text.AppendLine("Peak RSS: VmHWM of the server over the throughput cells. Idle: a fresh server reading with zero-byte receives (so an idle connection holds no buffer), N connections that each echoed 64 B once, then a full GC; growth of RSS and of the managed heap divided by N (socket buffers live in the kernel and are not counted).");
        text.AppendLine();
        text.AppendLine("## Targets");
        text.AppendLine();
        text.AppendLine(Targets());
        text.AppendLine("## Every cell");
        text.AppendLine();
        text.AppendLine("| server | conns | size | msg/s | MB/s | p50 us | p99 us | errors | server CPU | loadgen CPU |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (CellResult c in cells)
        {
            text.AppendLine(c.Failure is null
                ? string.Create(CultureInfo.InvariantCulture, $"| {c.Server} | {c.Connections} | {SizeText(c.Size)} | {c.MessagesPerSecond:F0} | {c.MegabytesPerSecond:F1} | {c.P50Microseconds:F1} | {c.P99Microseconds:F1} | {c.Errors} | {c.ServerCpu:F2} | {c.ClientCpu:F2} |")
                : $"| {c.Server} | {c.Connections} | {SizeText(c.Size)} | failed: {Escape(c.Failure)} | | | | | | |");
        }

        return text.ToString();
    }

    public string Csv()
    {
        var text = new StringBuilder("server,connections,size,msgs_per_s,mb_per_s,p50_us,p99_us,errors,server_cpu,client_cpu,msgs_per_server_cpu_s,failure\n");
        foreach (CellResult c in cells)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{c.Server},{c.Connections},{c.Size},{c.MessagesPerSecond:F1},{c.MegabytesPerSecond:F2},{c.P50Microseconds:F1},{c.P99Microseconds:F1},{c.Errors},{c.ServerCpu:F3},{c.ClientCpu:F3},{c.MessagesPerServerCpuSecond:F1},\"{c.Failure?.Replace("\"", "'", StringComparison.Ordinal)}\""));
        }

        return text.ToString();
    }

    private static string Bytes(double bytes) => Math.Abs(bytes) >= 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024:F1} KiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes:F0} B");

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
