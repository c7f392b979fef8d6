using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AnyNet.Backends.Tasks.Internal;

/// <summary>
/// A child process on <see cref="Process"/>: the runtime forks and execs it, reaps it from its SIGCHLD handling, and
/// gives pipe streams on its own epoll engine; this class maps that onto the contract.
/// </summary>
/// <remarks>
/// <see cref="Process"/> has no "stdin from a file" nor "/dev/null" for output: standard input from a file is copied
/// into the stdin pipe by a background task, /dev/null for input is a pipe closed at once (the child reads end of file),
/// /dev/null for output is a pipe drained and discarded in the background.
/// </remarks>
internal sealed partial class TasksProcess : IAsyncProcess
{
    private const int SIGTERM = 15;

    private readonly Process _process;
    private readonly string _fileName;
    private readonly List<Task> _pumps = [];
    private readonly CancellationTokenSource _pumpCancellation = new();
    private int _disposed;
    private int? _exitCode;

    private TasksProcess(Process process, string fileName)
    {
        _process = process;
        _fileName = fileName;
        Pid = process.Id;
    }

    public int Pid { get; }

    public IByteSendStream? StandardInput { get; private set; }

    public IByteReceiveStream? StandardOutput { get; private set; }

    public IByteReceiveStream? StandardError { get; private set; }

    public int? ExitCode
    {
        get
        {
            if (_exitCode is null && Volatile.Read(ref _disposed) == 0 && _process.HasExited)
            {
                _exitCode = _process.ExitCode;
            }

            return _exitCode;
        }
    }

    public static TasksProcess Start(ProcessStartOptions options)
    {
        string path = ProcessLaunch.Validate(options);
        var info = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardInput = options.StandardInput != ProcessStdio.Inherit,
            RedirectStandardOutput = options.StandardOutput != ProcessStdio.Inherit,
            RedirectStandardError = options.StandardError != ProcessStdio.Inherit,
            WorkingDirectory = options.WorkingDirectory ?? string.Empty,
        };
        foreach (string argument in options.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (string entry in ProcessLaunch.BuildEnvironment(options))
        {
            int equals = entry.IndexOf('=', StringComparison.Ordinal);
            info.Environment[entry[..equals]] = entry[(equals + 1)..];
        }

        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception error)
        {
            process.Dispose();
            throw new IOException($"Starting '{options.FileName}' ({path}) failed: {error.Message}", error);
        }

        var result = new TasksProcess(process, options.FileName);
        result.ConnectStdio(options);
        return result;
    }

    private void ConnectStdio(ProcessStartOptions options)
    {
        switch (options.StandardInput)
        {
            case ProcessStdio.Pipe:
                StandardInput = new PipeStreamEnd(_process.StandardInput.BaseStream, "standard input");
                break;
            case ProcessStdio.Null:
                _process.StandardInput.Close();
                break;
            case ProcessStdio.File:
                _pumps.Add(CopyFileToStdinAsync(options.StandardInputFile!, _process.StandardInput.BaseStream, _pumpCancellation.Token));
                break;
        }

        if (options.StandardOutput == ProcessStdio.Pipe)
        {
            StandardOutput = new PipeStreamEnd(_process.StandardOutput.BaseStream, "standard output");
        }
        else if (options.StandardOutput == ProcessStdio.Null)
        {
            _pumps.Add(DrainAsync(_process.StandardOutput.BaseStream, _pumpCancellation.Token));
        }

        if (options.StandardError == ProcessStdio.Pipe)
        {
            StandardError = new PipeStreamEnd(_process.StandardError.BaseStream, "standard error");
        }
        else if (options.StandardError == ProcessStdio.Null)
        {
            _pumps.Add(DrainAsync(_process.StandardError.BaseStream, _pumpCancellation.Token));
        }
    }

    public async ValueTask<int> WaitAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _process.WaitForExitAsync(cancellationToken);
        _exitCode = _process.ExitCode;
        return _exitCode.Value;
    }

    public void Kill()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited and reaped.
        }
    }

    public void Terminate()
    {
        if (!OperatingSystem.IsWindows())
        {
            // Process has no SIGTERM; kill(2) while the runtime has not reaped it (after that the pid may be reused).
            if (!_process.HasExited)
            {
                _ = SysKill(Pid, SIGTERM);
            }
        }
        else
        {
            Kill();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (StandardInput is not null)
        {
            await StandardInput.DisposeAsync();
        }

        if (!_process.HasExited)
        {
            Kill();
        }

        // Reaped by the runtime's SIGCHLD handling; waiting here means no zombie outlives the dispose.
        await _process.WaitForExitAsync(CancellationToken.None);
        _exitCode = _process.ExitCode;
        await _pumpCancellation.CancelAsync();
        try
        {
            await Task.WhenAll(_pumps);
        }
        catch (Exception)
        {
            // The pumps' own failures (the child closed its stdin early) do not matter once it is gone.
        }

        if (StandardOutput is not null)
        {
            await StandardOutput.DisposeAsync();
        }

        if (StandardError is not null)
        {
            await StandardError.DisposeAsync();
        }

        _pumpCancellation.Dispose();
        _process.Dispose();
    }

    public override string ToString() => $"process {Pid} ({_fileName})";

    private static async Task CopyFileToStdinAsync(string path, Stream stdin, CancellationToken cancellationToken)
    {
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous);
            await file.CopyToAsync(stdin, cancellationToken);
        }
        catch (IOException)
        {
            // The child stopped reading its input.
        }
        finally
        {
            try
            {
                stdin.Dispose();
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task DrainAsync(Stream output, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16 * 1024];
        while (await output.ReadAsync(buffer, cancellationToken) > 0)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}
