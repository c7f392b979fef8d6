namespace AnyNet;

/// <summary>The outcome of <see cref="AsyncBackendProcessExtensions.RunProcessAsync(IAsyncBackend, ProcessStartOptions, ReadOnlyMemory{byte}, bool, CancellationToken)"/>.</summary>
/// <param name="ExitCode">The exit code (128 + signal number when a signal ended the process).</param>
/// <param name="StandardOutput">Everything the process wrote to standard output (empty unless it was a pipe).</param>
/// <param name="StandardError">Everything the process wrote to standard error (empty unless it was a pipe).</param>
public sealed record ProcessResult(int ExitCode, byte[] StandardOutput, byte[] StandardError);
