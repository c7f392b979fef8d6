using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AnyNet.Conformance.Tests.Samples;

/// <summary>
/// The built Samples/HostedEcho run as a child process (through /bin/sh, so a test can lower its <c>ulimit -n</c>), with
/// its output collected line by line so that a test waits for readiness lines instead of sleeping.
/// </summary>
internal sealed partial class HostedEchoProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostedEchoProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static string DllPath
    {
        get
        {
            // The tests run from Tests.Conformance/AnyNet.Conformance.Tests/bin/<Configuration>/<tfm>/.
            var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            string tfm = testDir.Name;
            string configuration = testDir.Parent!.Name;
            DirectoryInfo? root = testDir;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "AnyNet.sln")))
            {
                root = root.Parent;
            }

            return Path.Combine(root?.FullName ?? throw new InvalidOperationException("AnyNet.sln not found above the test directory"), "Samples", "HostedEcho", "bin", configuration, tfm, "HostedEcho.dll");
        }
    }

    public IReadOnlyList<string> StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return [.. _stdout];
            }
        }
    }

    public IReadOnlyList<string> StandardError
    {
        get
        {
            lock (_stderr)
            {
                return [.. _stderr];
            }
        }
    }

    /// <summary>Starts HostedEcho with <paramref name="arguments"/>; <paramref name="fileLimit"/> sets <c>ulimit -n</c> first.</summary>
    public static HostedEchoProcess Start(string backend, IEnumerable<string> arguments, int? fileLimit = null)
    {
        string dll = DllPath;
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the solution first: {dll} is missing.", dll);
        }

        // Both appsettings.json endpoints are replaced, so that no test touches the sample's fixed port 7000.
        string[] all = ["--backend", backend, "--HostedEcho:Endpoints:1=tcp:127.0.0.1:0", .. arguments];
        string quoted = string.Join(' ', all.Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        string limit = fileLimit is int n ? $"ulimit -n {n} && " : string.Empty;
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"{limit}exec dotnet '{dll}' {quoted}");
        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = info };
        var child = new HostedEchoProcess(process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, child._stdout);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, child._stderr);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The port of the first server that logs "listening on tcp:127.0.0.1:PORT" (endpoint 0 is registered first).</summary>
    public async Task<int> WaitListeningAsync(TimeSpan timeout)
    {
        Task exited = _process.WaitForExitAsync();
        Task first = await Task.WhenAny(_listening.Task, exited).WaitAsync(timeout);
        if (first != _listening.Task)
        {
            throw new InvalidOperationException($"HostedEcho exited ({_process.ExitCode}) before listening: {string.Join('\n', StandardError)}");
        }

        return await _listening.Task;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);

        // WaitForExit() (no timeout) also waits for the redirected streams to reach end of file.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>User plus system CPU time of the child so far (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms).</summary>
    public TimeSpan CpuTime()
    {
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <summary>Sets the child's soft and hard <c>RLIMIT_NOFILE</c> while it runs (prlimit(2), what <c>prlimit --pid</c> does).</summary>
    public void SetDescriptorLimit(int limit)
    {
        var value = new RLimit { Current = (ulong)limit, Maximum = (ulong)limit };
        if (PrLimit(Pid, RlimitNofile, ref value, IntPtr.Zero) != 0)
        {
            throw new InvalidOperationException($"prlimit({Pid}, RLIMIT_NOFILE, {limit}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    public int OpenDescriptors() => Directory.GetFileSystemEntries($"/proc/{Pid}/fd").Length;

    /// <summary>
    /// The child's descriptors that its own code is responsible for: all of them except the assemblies and portable PDBs
    /// the runtime opens once and keeps for the life of the process (see <see cref="IsRuntimeOwned"/>).
    /// </summary>
    public int OwnDescriptors() => DescriptorTargets().Values.Count(target => !IsRuntimeOwned(target));

    /// <summary>
    /// True for a file the .NET runtime itself opens lazily and never closes: an assembly (.dll, loaded on first use)
    /// or a portable PDB (.pdb). The first exception whose stack trace is rendered with file and line loads
    /// System.Diagnostics.StackTrace, System.Reflection.Metadata, System.Collections.Immutable and
    /// System.IO.MemoryMappedFiles and opens the PDB of every assembly on the stack, and StackTraceSymbols caches those
    /// readers for the process's lifetime. Seen in this test under a loaded machine: "152 descriptors, 140 before", the 12
    /// new ones exactly those files. They are not connections and do not grow with load, so they are no leak.
    /// </summary>
    public static bool IsRuntimeOwned(string target) =>
        target.StartsWith('/') && (target.EndsWith(".dll", StringComparison.Ordinal) || target.EndsWith(".pdb", StringComparison.Ordinal));

    /// <summary>Each open descriptor of the child and what it refers to (readlink(2) of /proc/PID/fd/N).</summary>
    public Dictionary<int, string> DescriptorTargets()
    {
        var targets = new Dictionary<int, string>();
        foreach (string entry in Directory.GetFileSystemEntries($"/proc/{Pid}/fd"))
        {
            try
            {
                targets[int.Parse(Path.GetFileName(entry), System.Globalization.CultureInfo.InvariantCulture)] =
                    new FileInfo(entry).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                // Closed between the listing and the readlink.
            }
        }

        return targets;
    }

    /// <summary>
    /// The descriptors in <paramref name="after"/> that were not open (to the same thing) in <paramref name="before"/>,
    /// one per line, sockets with their TCP state and ports from /proc/PID/net/tcp{,6}: what a leak is made of.
    /// </summary>
    public string DescribeNewDescriptors(Dictionary<int, string> before, Dictionary<int, string> after)
    {
        Dictionary<string, string> sockets = SocketStates();
        var lines = new List<string>();
        foreach ((int fd, string target) in after.OrderBy(p => p.Key))
        {
            if (before.TryGetValue(fd, out string? was) && was == target)
            {
                continue;
            }

            string inode = target.StartsWith("socket:[", StringComparison.Ordinal) ? target[8..^1] : string.Empty;
            lines.Add(sockets.TryGetValue(inode, out string? state) ? $"fd {fd} -> {target} {state}" : $"fd {fd} -> {target}");
        }

        var gone = before.Keys.Where(fd => !after.TryGetValue(fd, out string? now) || now != before[fd]).Select(fd => $"{fd} ({before[fd]})").ToList();
        return $"{lines.Count} new: {string.Join("; ", lines)}" + (gone.Count > 0 ? $" | closed since: {string.Join(", ", gone)}" : string.Empty);
    }

    // inode -> "TCP <state> <local> -> <remote>" for the child's network namespace (proc(5): /proc/net/tcp).
    private Dictionary<string, string> SocketStates()
    {
        string[] states = ["?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"];
        var result = new Dictionary<string, string>();
        foreach (string table in new[] { "tcp", "tcp6" })
        {
            string[] rows;
            try
            {
                rows = File.ReadAllLines($"/proc/{Pid}/net/{table}");
            }
            catch (IOException)
            {
                continue;
            }

            foreach (string row in rows.Skip(1))
            {
                string[] f = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9)
                {
                    int state = Convert.ToInt32(f[3], 16);
                    result[f[9]] = $"[{table} {(state < states.Length ? states[state] : f[3])} {Port(f[1])} -> {Port(f[2])}]";
                }
            }
        }

        return result;

        static string Port(string address) => Convert.ToInt32(address[(address.IndexOf(':') + 1)..], 16).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }

        _process.Dispose();
    }

    private void OnLine(string? line, List<string> lines)
    {
        if (line is null)
        {
            return;
        }

        lock (lines)
        {
            lines.Add(line);
        }

        if (ListeningLine().Match(line) is { Success: true } match && lines == _stdout)
        {
            _listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private const int RlimitNofile = 7;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static partial int PrLimit(int pid, int resource, ref RLimit newLimit, IntPtr oldLimit);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [GeneratedRegex(@"listening on tcp:127\.0\.0\.1:(\d+) ")]
    private static partial Regex ListeningLine();
}
