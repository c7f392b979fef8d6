using System.Diagnostics;
using System.Text;

namespace AnyNet.Samples.Tests.Infrastructure;

/// <summary>A real client found on PATH (redis-cli, curl, wrk, openssl...), run with a hard time limit.</summary>
internal static class ExternalTool
{
    /// <summary>The tool's full path, or skips the test with "skipped: NAME not installed".</summary>
    public static string Require(string name)
    {
        string? path = Find(name);
        Skip.If(path is null, $"skipped: {name} not installed");
        return path!;
    }

    public static string? Find(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs the tool to completion; kills it and throws <see cref="TimeoutException"/> past the limit.</summary>
    public static async Task<ToolResult> RunAsync(string path, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null)
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

        using var process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{Path.GetFileName(path)} {string.Join(' ', info.ArgumentList)} did not finish within {timeout}.\nstdout:\n{await stdout}\nstderr:\n{await stderr}");
        }

        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }

    internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => new StringBuilder().Append("exit ").Append(ExitCode).Append("\nstdout:\n").Append(Stdout).Append("\nstderr:\n").Append(Stderr).ToString();
    }
}
