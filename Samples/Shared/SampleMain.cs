namespace AnyNet.Samples;

/// <summary>
/// The shared <c>Main</c>: parses the command line, makes the backend, runs the sample on it until it ends or
/// Ctrl-C/SIGTERM cancels it, and turns a bad argument into a usage message and exit code 2.
/// </summary>
internal static class SampleMain
{
    public static async Task<int> RunAsync(string[] args, string usage, Func<SampleCommandLine, IAsyncBackend, CancellationToken, Task> run)
    {
        SampleCommandLine line;
        try
        {
            line = SampleCommandLine.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"{e.Message}\n{usage}");
            return 2;
        }

        await using IAsyncBackend backend = line.CreateBackend();
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        try
        {
            await backend.RunAsync(token => run(line, backend, token), stop.Token);
            return 0;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"{e.Message}\n{usage}");
            return 2;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
    }

    /// <summary>The readiness line the tests and scripts wait for.</summary>
    public static Task AnnounceAsync(string what, System.Net.EndPoint endPoint, string backend) =>
        Console.Out.WriteLineAsync($"{what} ({backend}) listening on {endPoint}");
}
