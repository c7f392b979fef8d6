namespace AnyNet.Benchmarks.EchoServer;

/// <summary>
/// The echo server of the benchmark matrix: <c>--server tasks|reactor|libuv|sockets|reactor-N|libuv-N [--port P] [--read direct|zero]</c>.
/// Prints <c>listening &lt;port&gt;</c> when it accepts connections, then obeys lines on stdin: <c>gc</c> (full
/// collection, answers <c>gc &lt;managed bytes&gt;</c>) and <c>quit</c> (or end of input).
/// Exit codes: 0 stopped, 2 bad arguments, 3 backend not available, 4 failed to start.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        EchoOptions options;
        try
        {
            options = EchoOptions.Parse(args);
        }
        catch (Exception error) when (error is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"echo-server: {error.Message}");
            Console.Error.WriteLine("usage: AnyNet.Benchmarks.EchoServer --server tasks|reactor|libuv|sockets|reactor-N|libuv-N [--port P] [--address A] [--read direct|zero] [--buffer N]");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        IAsyncBackend? backend = null;
        Task serving;
        if (options.Server == "sockets")
        {
            serving = Task.Run(() => SocketsEchoServer.RunAsync(options, ready, stop.Token));
        }
        else
        {
            backend = BackendCatalog.TryCreate(options.Server, out string? reason);
            if (backend is null)
            {
                Console.Error.WriteLine($"echo-server: backend {options.Server} not available: {reason}");
                return 3;
            }

            serving = AnyNetEchoServer.RunAsync(backend, options, ready, stop.Token);
        }

        try
        {
            // Start-up is not a hot path: the main thread may block (it is not a thread-pool thread).
            Task first = Task.WhenAny(ready.Task, serving).GetAwaiter().GetResult();
            if (first != ready.Task)
            {
                serving.GetAwaiter().GetResult();
                throw new InvalidOperationException("the server ended before it listened");
            }
        }
        catch (Exception error)
        {
            Console.Error.WriteLine($"echo-server: {options.Server} failed to start: {error.GetType().Name}: {error.Message}");
            backend?.Dispose();
            return 4;
        }

        Console.WriteLine($"listening {ready.Task.Result}");
        Console.Out.Flush();

        // The control channel runs on the main thread so it never takes a thread-pool thread from the server.
        string? line;
        while ((line = Console.ReadLine()) is not null)
        {
            if (line.StartsWith("gc", StringComparison.Ordinal))
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                Console.WriteLine($"gc {GC.GetTotalMemory(forceFullCollection: false)}");
                Console.Out.Flush();
            }
            else if (line.StartsWith("quit", StringComparison.Ordinal))
            {
                break;
            }
        }

        stop.Cancel();
        try
        {
            if (!serving.Wait(TimeSpan.FromSeconds(10)))
            {
                Console.Error.WriteLine("echo-server: did not stop within 10 s");
            }
        }
        catch (AggregateException error)
        {
            Console.Error.WriteLine($"echo-server: ended with {error.InnerException?.GetType().Name}: {error.InnerException?.Message}");
        }

        backend?.Dispose();
        Console.Error.WriteLine($"echo-server: {options.Server} accepted {EchoStats.Accepted}, {EchoStats.Failed} connection errors{(EchoStats.FirstError is { } e ? $" (first: {e.GetType().Name}: {e.Message})" : "")}");
        return 0;
    }
}
