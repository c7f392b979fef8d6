namespace AnyNet;

/// <summary>Running a process to completion on any backend (AnyIO's <c>run_process</c>).</summary>
public static class AsyncBackendProcessExtensions
{
    /// <summary>
    /// Runs a process to completion: feeds it <paramref name="input"/> (then end of file), collects standard output and
    /// error, and waits for it to exit. Cancelling kills the process (SIGKILL) and reaps it before the cancellation
    /// comes out, so no child and no zombie is left behind.
    /// </summary>
    /// <param name="backend">The backend.</param>
    /// <param name="options">What to run. Standard input is a pipe when <paramref name="input"/> is not empty, else as the options say.</param>
    /// <param name="input">Bytes for standard input.</param>
    /// <param name="check">When true (the default), a non-zero exit code throws <see cref="ProcessFailedException"/>.</param>
    /// <param name="cancellationToken">Kills the process.</param>
    /// <exception cref="ProcessFailedException">The exit code was not zero and <paramref name="check"/> is true.</exception>
    public static async Task<ProcessResult> RunProcessAsync(this IAsyncBackend backend, ProcessStartOptions options, ReadOnlyMemory<byte> input = default, bool check = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        if (!input.IsEmpty && options.StandardInput != ProcessStdio.Pipe)
        {
            throw new ArgumentException("Input bytes were given but StandardInput is not a pipe.", nameof(input));
        }

        IAsyncProcess process = await backend.OpenProcessAsync(options, cancellationToken);
        byte[] output = [];
        byte[] error = [];
        int exitCode;
        try
        {
            await TaskGroup.RunAsync(group =>
            {
                if (process.StandardInput is { } stdin)
                {
                    group.Start(async token =>
                    {
                        try
                        {
                            await stdin.SendAsync(input, token);
                        }
                        catch (BrokenResourceException)
                        {
                            // The child exited (or closed its stdin) without reading everything: its exit code tells the story.
                        }

                        await stdin.DisposeAsync();
                    });
                }

                if (process.StandardOutput is { } stdout)
                {
                    group.Start(async token => output = await ReadAllAsync(stdout, token));
                }

                if (process.StandardError is { } stderr)
                {
                    group.Start(async token => error = await ReadAllAsync(stderr, token));
                }

                return Task.CompletedTask;
            }, cancellationToken);
            exitCode = await process.WaitAsync(cancellationToken);
        }
        finally
        {
            // Kills the process if it is still running (cancellation, or a failure above) and reaps it.
            await process.DisposeAsync();
        }

        if (check && exitCode != 0)
        {
            throw new ProcessFailedException(options.FileName, exitCode, output, error);
        }

        return new ProcessResult(exitCode, output, error);
    }

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/> to completion; see the overload with options.</summary>
    public static Task<ProcessResult> RunProcessAsync(this IAsyncBackend backend, string fileName, IEnumerable<string> arguments, bool check = true, CancellationToken cancellationToken = default) =>
        backend.RunProcessAsync(new ProcessStartOptions(fileName, arguments) { StandardInput = ProcessStdio.Null }, default, check, cancellationToken);

    private static async Task<byte[]> ReadAllAsync(IByteReceiveStream stream, CancellationToken cancellationToken)
    {
        using var collected = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            collected.Write(buffer, 0, read);
        }

        return collected.ToArray();
    }
}
