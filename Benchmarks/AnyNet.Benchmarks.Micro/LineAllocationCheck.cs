using System.Globalization;

namespace AnyNet.Benchmarks.Micro;

/// <summary>
/// The exact steady-state allocation per line of the two line readers in <see cref="LineReaderBenchmarks"/>, and of
/// <see cref="BufferedByteStream.ReceiveUntilAsync"/> reading lines from a real TCP connection on every backend.
/// Allocation is deterministic, so this is meaningful on a busy machine (speed is not measured).
/// </summary>
internal static class LineAllocationCheck
{
    private const int TcpLines = 20_000;

    public static void Run()
    {
        Console.WriteLine("| line reader (40-byte CRLF lines) | bytes allocated per line, steady state |");
        Console.WriteLine("|---|---:|");
        Print("PipeReader + SequenceReader.TryReadTo (in-memory source, 1460-byte chunks)", Marginal(LineReaderBenchmarks.PipeReaderLinesAsync));
        Print("BufferedByteReceiveStream.ReceiveUntilAsync (same source)", Marginal(LineReaderBenchmarks.BufferedLinesAsync));
        foreach (string name in EchoRoundTripBenchmarks.Backends())
        {
            if (name == "sockets")
            {
                continue;
            }

            if (BackendCatalog.TryCreate(name, out string? reason) is not { } backend)
            {
                Console.WriteLine($"| over TCP, {name} backend | unavailable: {reason} |");
                continue;
            }

            try
            {
                double bytes = backend.RunAsync(token => TcpLinesAsync(backend, token)).GetAwaiter().GetResult();
                Print($"BufferedByteStream.ReceiveUntilAsync over TCP, {name} backend (whole process: reader + sender on the same scheduler, one 42 KB send per 1,000 lines)", bytes);
            }
            finally
            {
                backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }

    private static void Print(string what, double bytes) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {bytes:F3} |"));

    /// <summary>
    /// The allocation of reading 200,000 lines minus that of reading 100,000, per extra line: the per-line cost without
    /// the fixed cost of creating the reader (a few hundred bytes per run).
    /// </summary>
    private static double Marginal(Func<int, Task<long>> run)
    {
        const int Lines = LineReaderBenchmarks.Lines;
        run(Lines).GetAwaiter().GetResult();
        long small = Allocated(() => run(Lines));
        long large = Allocated(() => run(2 * Lines));
        return (large - small) / (double)Lines;

        static long Allocated(Func<Task<long>> once)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            once().GetAwaiter().GetResult();
            return GC.GetTotalAllocatedBytes(precise: true) - before;
        }
    }

    /// <summary>
    /// A sender task sends 1,000-line batches while the reader reads line by line; the process-wide allocation during
    /// the second of two rounds is divided by the lines read (so it includes the sender's few sends).
    /// </summary>
    private static async Task<double> TcpLinesAsync(IAsyncBackend backend, CancellationToken cancellationToken)
    {
        await using ISocketListener listener = backend.ListenTcp(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        ValueTask<ISocketStream> accepting = listener.AcceptAsync(cancellationToken);
        await using ISocketStream client = await backend.ConnectTcpAsync((System.Net.IPEndPoint)listener.LocalEndPoint, cancellationToken);
        await using var server = new BufferedByteStream(await accepting);
        byte[] batch = new byte[1000 * 42];
        for (int i = 0; i < 1000; i++)
        {
            batch.AsSpan(i * 42, 40).Fill((byte)'x');
            batch[(i * 42) + 40] = (byte)'\r';
            batch[(i * 42) + 41] = (byte)'\n';
        }

        ReadOnlyMemory<byte> crlf = "\r\n"u8.ToArray();
        double perLine = 0;
        for (int round = 0; round < 2; round++)
        {
            // 20 batches of 1,000 lines each, sent concurrently; the reader measures its own allocations.
            // Started on the backend's own scheduler (the loop thread on reactor/libuv), like a real peer task.
            Task sending = SendBatchesAsync(client, batch, cancellationToken);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < TcpLines; i++)
            {
                await server.ReceiveUntilAsync(crlf, 1024, cancellationToken);
            }

            long after = GC.GetTotalAllocatedBytes(precise: true);
            await sending;
            perLine = (after - before) / (double)TcpLines;
        }

        return perLine;
    }

    private static async Task SendBatchesAsync(ISocketStream client, byte[] batch, CancellationToken cancellationToken)
    {
        for (int b = 0; b < TcpLines / 1000; b++)
        {
            await client.SendAsync(batch, cancellationToken);
        }
    }
}
