using System.Diagnostics;
using System.Globalization;

namespace AnyNet.Benchmarks.Matrix;

/// <summary>Runs the native load generator (pinned to the client core) and parses its key=value report.</summary>
internal static class LoadGen
{
    public static Dictionary<string, string> Run(MatrixOptions options, string mode, int port, int serverPid, int connections, int size, double warmup, double duration)
    {
        ProcessStartInfo info = StartInfo(options, mode, port, serverPid, connections, size, warmup, duration);
        using Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start the load generator");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        TimeSpan limit = TimeSpan.FromSeconds(warmup + duration + 90);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
            throw new TimeoutException($"the load generator did not finish within {limit.TotalSeconds} s");
        }

        process.WaitForExit();
        string error = stderr.Result.Trim();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the load generator failed ({process.ExitCode}): {error}");
        }

        Dictionary<string, string> result = ParseLine(stdout.Result.Trim().Split('\n')[^1]);
        if (error.Length > 0)
        {
            result["stderr"] = error.Split('\n')[0];
        }

        return result;
    }

    /// <summary>Opens <paramref name="connections"/> idle connections and holds them until the returned process's stdin closes.</summary>
    public static Process StartIdle(MatrixOptions options, int port, int connections, out string readyLine)
    {
        ProcessStartInfo info = StartInfo(options, "idle", port, 0, connections, 64, 0, 0);
        info.RedirectStandardInput = true;
        Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start the load generator");
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(150)) || line.Result is null)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
            string error = process.StandardError.ReadToEnd();
            process.Dispose();
            throw new InvalidOperationException($"the load generator did not open the idle connections: {error.Trim()}");
        }

        readyLine = line.Result;
        return process;
    }

    public static Dictionary<string, string> ParseLine(string line)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                result[pair[..eq]] = pair[(eq + 1)..];
            }
        }

        return result;
    }

    private static ProcessStartInfo StartInfo(MatrixOptions options, string mode, int port, int serverPid, int connections, int size, double warmup, double duration)
    {
        var info = new ProcessStartInfo("taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // 1000+ connections and churn come from several loopback addresses so ephemeral ports never run short.
        int sources = mode == "churn" ? 8 : connections >= 1000 ? 4 : 1;
        string[] args =
        [
            "-c", options.ClientCore.ToString(CultureInfo.InvariantCulture),
            Path.Combine(options.NativeDirectory, "loadgen"),
            "--mode", mode,
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--conns", connections.ToString(CultureInfo.InvariantCulture),
            "--size", size.ToString(CultureInfo.InvariantCulture),
            "--warmup", warmup.ToString(CultureInfo.InvariantCulture),
            "--duration", duration.ToString(CultureInfo.InvariantCulture),
            "--server-pid", serverPid.ToString(CultureInfo.InvariantCulture),
            "--sources", sources.ToString(CultureInfo.InvariantCulture),
        ];
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }
}
