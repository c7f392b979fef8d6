using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;

namespace AnyNet.Benchmarks.Micro;

/// <summary>
/// Bytes allocated per 64-byte echo round trip (client send + server receive/send + client receive, both ends in this
/// process) on each backend, next to the same loop written on System.Net.Sockets. Target: 0 B in steady state.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the fields.")]
public class EchoRoundTripBenchmarks
{
    private const int RoundTrips = 10_000;
    private const int MessageSize = 64;

    private readonly byte[] _payload = new byte[MessageSize];
    private readonly byte[] _received = new byte[MessageSize];
    private IAsyncBackend? _backend;
    private CancellationTokenSource? _stop;
    private Task? _server;
    private ISocketStream? _client;
    private Socket? _socketListener;
    private Socket? _socketClient;
    private Func<CancellationToken, Task<int>>? _roundTrips;

    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "";

    public static IEnumerable<string> Backends() => BackendNames.Available().Append("sockets");

    [GlobalSetup]
    public void Setup()
    {
        _stop = new CancellationTokenSource();
        Random.Shared.NextBytes(_payload);
        if (Backend == "sockets")
        {
            SetupSockets();
            return;
        }

        IAsyncBackend backend = BackendNames.Create(Backend);
        _backend = backend;
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _server = backend.RunAsync(async token =>
        {
            ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
            await using (listener)
            {
                ready.SetResult(((IPEndPoint)listener.LocalEndPoint).Port);
                try
                {
                    await listener.ServeAsync(EchoAsync, token);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    // benchmark finished
                }
            }
        }, _stop.Token);
        int port = ready.Task.GetAwaiter().GetResult();
        _client = backend.RunAsync(async token => await backend.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port), token)).GetAwaiter().GetResult();
        _roundTrips = AnyNetRoundTripsAsync;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_client is { } client && _backend is { } backend)
        {
            backend.RunAsync(async _ => { await client.DisposeAsync(); return 0; }).GetAwaiter().GetResult();
        }

        _stop?.Cancel();
        _socketListener?.Dispose();
        _socketClient?.Dispose();
        try
        {
            _server?.GetAwaiter().GetResult();
        }
        catch (Exception error) when (error is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // the server was stopped on purpose
        }

        _backend?.Dispose();
        _stop?.Dispose();
    }

    /// <summary>One call runs <see cref="RoundTrips"/> round trips; BenchmarkDotNet divides time and bytes by that.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public Task<int> RoundTrip64B() => _backend is { } backend
        ? backend.RunAsync(_roundTrips!)
        : SocketRoundTripsAsync(CancellationToken.None);

    /// <summary>
    /// Exact bytes allocated per round trip in steady state, process-wide (client, server and backend threads):
    /// warm up, then count around a run of round trips inside one call, so nothing but the round trips is counted.
    /// </summary>
    public double MeasureSteadyStateBytesPerRoundTrip()
    {
        Func<CancellationToken, Task<int>> run = RoundTripsAsync;
        return _backend is { } backend
            ? backend.RunAsync(async token => await MeasureAsync(run, token)).GetAwaiter().GetResult()
            : MeasureAsync(run, CancellationToken.None).GetAwaiter().GetResult();

        static async Task<double> MeasureAsync(Func<CancellationToken, Task<int>> run, CancellationToken token)
        {
            await run(token);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await run(token);
            long after = GC.GetTotalAllocatedBytes(precise: true);
            return (after - before) / (double)RoundTrips;
        }
    }

    private Task<int> RoundTripsAsync(CancellationToken cancellationToken) =>
        _backend is null ? SocketRoundTripsAsync(cancellationToken) : AnyNetRoundTripsAsync(cancellationToken);

    private async Task<int> AnyNetRoundTripsAsync(CancellationToken cancellationToken)
    {
        ISocketStream client = _client!;
        for (int i = 0; i < RoundTrips; i++)
        {
            await client.SendAsync(_payload, cancellationToken);
            int got = 0;
            while (got < MessageSize)
            {
                int n = await client.ReceiveAsync(_received.AsMemory(got), cancellationToken);
                got += n > 0 ? n : throw new EndOfStreamException("the echo server closed the connection");
            }
        }

        return _received[0];
    }

    private static async Task EchoAsync(ISocketStream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReceiveAsync(buffer, cancellationToken)) > 0)
            {
                await stream.SendAsync(buffer.AsMemory(0, n), cancellationToken);
            }
        }
        catch (Exception error) when (error is OperationCanceledException or BrokenResourceException or ClosedResourceException)
        {
            // the benchmark ended
        }
    }

    private void SetupSockets()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        _socketListener = listener;
        CancellationToken token = _stop!.Token;
        _server = Task.Run(async () =>
        {
            using Socket connection = await listener.AcceptAsync(token);
            byte[] buffer = new byte[4096];
            int n;
            while ((n = await connection.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
            {
                await connection.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, token);
            }
        });
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        _socketClient = client;
    }

    private async Task<int> SocketRoundTripsAsync(CancellationToken cancellationToken)
    {
        Socket client = _socketClient!;
        for (int i = 0; i < RoundTrips; i++)
        {
            await client.SendAsync(_payload, SocketFlags.None, cancellationToken);
            int got = 0;
            while (got < MessageSize)
            {
                int n = await client.ReceiveAsync(_received.AsMemory(got), SocketFlags.None, cancellationToken);
                got += n > 0 ? n : throw new EndOfStreamException("the echo server closed the connection");
            }
        }

        return _received[0];
    }
}
