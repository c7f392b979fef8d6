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

    public int OpenDescriptors() => Directory.GetFileSystemEntries($"/proc/{Pid}/fd").Length;

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

    [GeneratedRegex(@"listening on tcp:127\.0\.0\.1:(\d+) ")]
    private static partial Regex ListeningLine();
}
