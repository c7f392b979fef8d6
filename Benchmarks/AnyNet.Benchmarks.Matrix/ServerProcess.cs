using System.Diagnostics;
using System.Globalization;

namespace AnyNet.Benchmarks.Matrix;

/// <summary>One echo server under test, pinned to the server core, driven through its stdin control channel.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _stderr = new();

    private ServerProcess(Process process) => _process = process;

    public int Port { get; private set; }

    public int Pid => _process.Id;

    public string ErrorOutput
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString().Trim();
            }
        }
    }

    /// <summary>Starts the server, or returns null and why it could not start.</summary>
    public static ServerProcess? TryStart(string serverName, bool zeroRead, MatrixOptions options, out string? reason)
    {
        var info = new ProcessStartInfo("taskset")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(options.ServerCpus ?? options.ServerCore.ToString(CultureInfo.InvariantCulture));
        if (serverName == "c-epoll")
        {
            info.ArgumentList.Add(Path.Combine(options.NativeDirectory, "echo_epoll"));
            info.ArgumentList.Add("0");
        }
        else
        {
            info.ArgumentList.Add("dotnet");
            info.ArgumentList.Add(options.EchoServerPath);
            info.ArgumentList.Add("--server");
            info.ArgumentList.Add(serverName);
            info.ArgumentList.Add("--read");
            info.ArgumentList.Add(zeroRead ? "zero" : "direct");
        }

        Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start taskset");
        var server = new ServerProcess(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (server._stderr)
                {
                    server._stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        Task<string?> firstLine = process.StandardOutput.ReadLineAsync();
        bool gotLine = firstLine.Wait(TimeSpan.FromSeconds(30));
        string? line = gotLine ? firstLine.Result : null;
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(5000);
            string text = server.ErrorOutput;
            reason = text.Length > 0 ? text : gotLine ? $"exited with code {process.ExitCode}" : "did not listen within 30 s";
            process.Dispose();
            return null;
        }

        reason = null;
        server.Port = int.Parse(line.AsSpan("listening ".Length), CultureInfo.InvariantCulture);
        return server;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Asks for a full garbage collection and returns the managed heap size the server reports (0 for C).</summary>
    public long CollectGarbage()
    {
        _process.StandardInput.WriteLine("gc");
        _process.StandardInput.Flush();
        Task<string?> reply = _process.StandardOutput.ReadLineAsync();
        if (!reply.Wait(TimeSpan.FromSeconds(30)) || reply.Result is not { } line || !line.StartsWith("gc ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("the server did not answer the gc command");
        }

        return long.Parse(line.AsSpan(3), CultureInfo.InvariantCulture);
    }

    /// <summary>Reads a field of /proc/&lt;pid&gt;/status in bytes (VmRSS: resident now, VmHWM: peak resident).</summary>
    public long ReadStatusBytes(string field)
    {
        foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                string kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    public void Stop()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // already gone
            }

            if (!_process.WaitForExit(15000))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }
}
