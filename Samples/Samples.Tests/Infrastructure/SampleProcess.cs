using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace AnyNet.Samples.Tests.Infrastructure;

/// <summary>
/// A sample running as a subprocess (<c>dotnet Sample.dll --backend B --port 0 ...</c>): waits for its readiness line
/// ("listening on 127.0.0.1:PORT"), keeps its output, and kills and reaps it on dispose.
/// </summary>
internal sealed partial class SampleProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _errors = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SampleProcess(Process process) => _process = process;

    public int Port { get; private set; }

    /// <summary>The readiness line's match.</summary>
    public Match? Ready { get; private set; }

    public string Name { get; private init; } = "";

    /// <summary>Starts <paramref name="sample"/> on <paramref name="backend"/> and waits until it listens.</summary>
    public static async Task<SampleProcess> StartAsync(string sample, string backend, params string[] args)
    {
        string dll = Path.Combine(RepositoryPaths.Root, "Samples", sample, "bin", RepositoryPaths.Configuration, "net10.0", sample + ".dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"The {sample} sample is not built: {dll}");
        }

        string[] all = [dll, "--backend", backend, .. args];
        if (!args.Contains("--port") && !args.Contains("--listen") && !args.Contains("client"))
        {
            all = [.. all, "--port", "0"];
        }

        SampleProcess started = await StartToolAsync("dotnet", all, ListeningLine(), $"{sample}/{backend}");
        started.Port = int.Parse(started.Ready!.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return started;
    }

    /// <summary>Starts any program and waits until a stdout line matches <paramref name="ready"/> (if given).</summary>
    public static async Task<SampleProcess> StartToolAsync(string path, IEnumerable<string> args, Regex? ready, string? name = null)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var sampleProcess = new SampleProcess(process) { Name = name ?? Path.GetFileName(path) };
        process.OutputDataReceived += (_, e) => sampleProcess.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (sampleProcess._gate)
                {
                    sampleProcess._errors.AppendLine(e.Data);
                }
            }
        };
        process.Exited += (_, _) => sampleProcess.OnLine(null);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (ready is not null)
            {
                sampleProcess.Ready = await sampleProcess.WaitForLineAsync(ready, s_startTimeout);
            }

            return sampleProcess;
        }
        catch
        {
            await sampleProcess.DisposeAsync();
            throw;
        }
    }

    /// <summary>Everything the sample wrote to stderr so far.</summary>
    public string Errors
    {
        get
        {
            lock (_gate)
            {
                return _errors.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Writes a line to the program's stdin.</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteAsync(line + "\n");
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for the program to exit by itself; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(limit.Token);
        return _process.ExitCode;
    }

    /// <summary>Kills the program (as a crash would), leaving the object to be disposed.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Waits for a stdout line matching <paramref name="pattern"/> (earlier lines count too).</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        int seen = 0;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                for (; seen < _lines.Count; seen++)
                {
                    Match match = pattern.Match(_lines[seen]);
                    if (match.Success)
                    {
                        return match;
                    }
                }

                changed = _changed.Task;
            }

            if (_process.HasExited && changed.IsCompleted)
            {
                throw new InvalidOperationException($"{Name} exited (code {_process.ExitCode}) before printing /{pattern}/.\nstdout:\n{string.Join('\n', Snapshot())}\nstderr:\n{Errors}");
            }

            try
            {
                await changed.WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Name} did not print /{pattern}/ within {timeout}.\nstdout:\n{string.Join('\n', Snapshot())}\nstderr:\n{Errors}");
            }
        }
    }

    public string[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _lines];
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        using var reap = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _process.WaitForExitAsync(reap.Token);
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (line is not null)
            {
                _lines.Add(line);
            }

            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
