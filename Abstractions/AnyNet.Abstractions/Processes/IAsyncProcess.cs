namespace AnyNet;

/// <summary>A running child process with streamed stdio (AnyIO's <c>Process</c>).</summary>
/// <remarks>
/// Disposing closes the pipes, kills the process if it is still running (SIGKILL) and reaps it, so no zombie is left.
/// The exit code follows the shell convention: the status passed to <c>exit</c>, or 128 + the signal number when a
/// signal ended the process (what <see cref="System.Diagnostics.Process.ExitCode"/> reports on Unix too).
/// </remarks>
public interface IAsyncProcess : IAsyncDisposable
{
    /// <summary>The child's process id.</summary>
    int Pid { get; }

    /// <summary>The child's standard input; null unless it is <see cref="ProcessStdio.Pipe"/>. <c>DisposeAsync</c> on it closes the pipe (the child sees end of file).</summary>
    IByteSendStream? StandardInput { get; }

    /// <summary>The child's standard output; null unless it is <see cref="ProcessStdio.Pipe"/>.</summary>
    IByteReceiveStream? StandardOutput { get; }

    /// <summary>The child's standard error; null unless it is <see cref="ProcessStdio.Pipe"/>.</summary>
    IByteReceiveStream? StandardError { get; }

    /// <summary>The exit code once the process was reaped, else null.</summary>
    int? ExitCode { get; }

    /// <summary>Waits for the process to exit, reaps it, and returns its exit code. Cancelling the wait leaves the process running.</summary>
    ValueTask<int> WaitAsync(CancellationToken cancellationToken = default);

    /// <summary>Sends SIGKILL (does nothing once the process was reaped).</summary>
    void Kill();

    /// <summary>Sends SIGTERM (does nothing once the process was reaped).</summary>
    void Terminate();
}
