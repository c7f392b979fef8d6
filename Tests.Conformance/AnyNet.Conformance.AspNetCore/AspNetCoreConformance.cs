using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using AnyNet.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;
using KestrelListenOptions = Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions;

namespace AnyNet.Conformance.AspNetCore;

/// <summary>
/// ASP.NET Core on AnyNet: a real Kestrel whose transport is the backend under test (<c>UseAnyNet</c>), bound to
/// 127.0.0.1 port 0 and driven by <see cref="HttpClient"/> (System.Net.Sockets on the client side), raw sockets and
/// AnyNet streams. Keep-alive, concurrency, large and chunked bodies, TLS with ALPN and HTTP/2, WebSockets, aborts from
/// either side, backpressure, graceful shutdown, Unix sockets, half-close, connection features and bad input.
/// </summary>
public abstract class AspNetCoreConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private static readonly TimeSpan LongTimeout = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public virtual Task A_thousand_keep_alive_requests_share_one_connection() => RunAsync(async (_, token) =>
    {
        await using KestrelTestServer server = Create(app => app.MapGet("/n/{i:int}", (int i, HttpContext c) => $"{i} {c.Connection.Id}"));
        await server.StartAsync(token);
        using HttpClient client = KestrelTestServer.CreateClient(maxConnections: 1);
        var connections = new HashSet<string>();
        for (int i = 0; i < 1000; i++)
        {
            string reply = await client.GetStringAsync(new Uri(server.Http, $"/n/{i}"), token);
            string[] parts = reply.Split(' ');
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), parts[0]);
            connections.Add(parts[1]);
        }

        Assert.Single(connections);
    }, LongTimeout);

    [SkippableFact]
    public virtual Task A_hundred_concurrent_connections_are_served_at_once() => RunAsync(async (_, token) =>
    {
        const int Count = 100;
        int arrived = 0;
        var everyoneIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using KestrelTestServer server = Create(app => app.MapGet("/hold", async (HttpContext c) =>
        {
            // Nobody is answered before all hundred requests are in: they must be on a hundred connections.
            if (Interlocked.Increment(ref arrived) == Count)
            {
                everyoneIn.TrySetResult();
            }

            await everyoneIn.Task.WaitAsync(c.RequestAborted);
            return c.Connection.Id;
        }));
        await server.StartAsync(token);
        using HttpClient client = KestrelTestServer.CreateClient();
        string[] ids = await Task.WhenAll(Enumerable.Range(0, Count).Select(_ => client.GetStringAsync(new Uri(server.Http, "/hold"), token)));
        Assert.Equal(Count, ids.Distinct().Count());
    }, LongTimeout);

    [SkippableFact]
    public virtual Task A_16_MiB_body_is_echoed_byte_for_byte_with_a_length_and_chunked() => RunAsync(async (_, token) =>
    {
        await using KestrelTestServer server = Create(app => app.MapPost("/echo", async (HttpContext c) =>
        {
            c.Response.Headers["X-Request-Chunked"] = c.Request.Headers.TransferEncoding.ToString();
            // Read it all, then answer: SocketsHttpHandler finishes sending an HTTP/1.1 body before it reads a successful
            // response, so a streaming echo of 16 MiB would fill both directions' buffers and wait forever (curl does not).
            using var body = new MemoryStream();
            await c.Request.Body.CopyToAsync(body, c.RequestAborted);
            body.Position = 0;
            await body.CopyToAsync(c.Response.Body, c.RequestAborted);
        }));
        await server.StartAsync(token);
        using HttpClient client = KestrelTestServer.CreateClient();
        byte[] payload = StreamTestHelpers.RandomBytes(16 << 20, seed: 16);

        using (HttpResponseMessage response = await client.PostAsync(new Uri(server.Http, "/echo"), new ByteArrayContent(payload), token))
        {
            response.EnsureSuccessStatusCode();
            byte[] echoed = await response.Content.ReadAsByteArrayAsync(token);
            Assert.True(payload.AsSpan().SequenceEqual(echoed), "the 16 MiB echo differs");
            Assert.Equal(string.Empty, response.Headers.GetValues("X-Request-Chunked").Single());
        }

        byte[] chunked = StreamTestHelpers.RandomBytes(3 << 20, seed: 17);
        using (HttpResponseMessage response = await client.PostAsync(new Uri(server.Http, "/echo"), new ChunkedContent(chunked, chunked.Length, 7_777), token))
        {
            response.EnsureSuccessStatusCode();
            Assert.Equal("chunked", response.Headers.GetValues("X-Request-Chunked").Single());
            Assert.True(response.Headers.TransferEncodingChunked, "the streamed response was not chunked");
            byte[] echoed = await response.Content.ReadAsByteArrayAsync(token);
            Assert.True(chunked.AsSpan().SequenceEqual(echoed), "the chunked echo differs");
        }
    }, LongTimeout);

    [SkippableFact]
    public virtual Task Https_serves_http11_and_http2_chosen_by_alpn() => RunAsync(async (_, token) =>
    {
        using var certificate = KestrelTestServer.CreateCertificate();
        await using KestrelTestServer server = Create(
            app => app.MapGet("/proto", (HttpContext c) => $"{c.Request.Protocol} {c.Request.IsHttps}"),
            kestrel: k => k.Listen(IPAddress.Loopback, 0, l =>
            {
                l.Protocols = HttpProtocols.Http1AndHttp2;
                l.UseHttps(certificate);
            }));
        await server.StartAsync(token);

        using HttpClient h2 = KestrelTestServer.CreateClient(version: HttpVersion.Version20, trust: certificate);
        using (HttpResponseMessage response = await h2.GetAsync(new Uri(server.Https, "/proto"), token))
        {
            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Equal("HTTP/2 True", await response.Content.ReadAsStringAsync(token));
        }

        // Several streams at once on the one HTTP/2 connection.
        string[] replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => h2.GetStringAsync(new Uri(server.Https, "/proto"), token)));
        Assert.All(replies, r => Assert.Equal("HTTP/2 True", r));

        using HttpClient h1 = KestrelTestServer.CreateClient(version: HttpVersion.Version11, trust: certificate);
        using (HttpResponseMessage response = await h1.GetAsync(new Uri(server.Https, "/proto"), token))
        {
            Assert.Equal(HttpVersion.Version11, response.Version);
            Assert.Equal("HTTP/1.1 True", await response.Content.ReadAsStringAsync(token));
        }
    }, LongTimeout);

    [SkippableFact]
    public virtual Task A_websocket_echoes_messages() => RunAsync(async (_, token) =>
    {
        await using KestrelTestServer server = Create(app =>
        {
            app.UseWebSockets();
            app.Map("/ws", async (HttpContext c) =>
            {
                using WebSocket socket = await c.WebSockets.AcceptWebSocketAsync();
                byte[] buffer = new byte[8192];
                while (true)
                {
                    WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, c.RequestAborted);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", c.RequestAborted);
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, c.RequestAborted);
                }
            });
        });
        await server.StartAsync(token);

        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Http.Port}/ws"), token);
        byte[][] messages = [Encoding.UTF8.GetBytes("hello"), StreamTestHelpers.RandomBytes(100_000, seed: 5), []];
        foreach (byte[] message in messages)
        {
            await client.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, token);
            using var received = new MemoryStream();
            byte[] buffer = new byte[16384];
            WebSocketReceiveResult result;
            do
            {
                result = await client.ReceiveAsync(buffer, token);
                received.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            Assert.Equal(message, received.ToArray());
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }, LongTimeout);

    [SkippableFact]
    public virtual Task A_client_that_resets_mid_request_aborts_only_its_request() => RunAsync(async (_, token) =>
    {
        var bodyStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outcome = new TaskCompletionSource<(string Error, bool Aborted)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using KestrelTestServer server = Create(app =>
        {
            app.MapGet("/plaintext", () => "Hello, World!");
            app.MapPost("/upload", async (HttpContext c) =>
            {
                byte[] buffer = new byte[4096];
                try
                {
                    int first = await c.Request.Body.ReadAsync(buffer, c.RequestAborted);
                    bodyStarted.TrySetResult();
                    while (await c.Request.Body.ReadAsync(buffer, c.RequestAborted) > 0)
                    {
                    }

                    outcome.TrySetResult(("none", c.RequestAborted.IsCancellationRequested));
                }
                catch (Exception error)
                {
                    // RequestAborted follows the failed read (ConnectionClosed fires once the receive side has ended).
                    try
                    {
                        await Task.Delay(Timeout.InfiniteTimeSpan, c.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    outcome.TrySetResult((error.GetType().Name, c.RequestAborted.IsCancellationRequested));
                }
            });
        });
        await server.StartAsync(token);

        using (Socket raw = await ConnectRawAsync(server.Http, token))
        {
            await raw.SendAsync(Encoding.ASCII.GetBytes("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n0123456789"), token);
            await bodyStarted.Task.WaitAsync(token);
            raw.LingerState = new LingerOption(true, 0);   // close = RST
        }

        (string error, bool aborted) = await outcome.Task.WaitAsync(token);
        Assert.NotEqual("none", error);
        Assert.True(aborted, "RequestAborted did not fire for a reset client");

        using HttpClient client = KestrelTestServer.CreateClient();
        Assert.Equal("Hello, World!", await client.GetStringAsync(new Uri(server.Http, "/plaintext"), token));
        AssertNothingWorseThanInformation(server);
    });

    [SkippableFact]
    public virtual Task The_server_aborting_a_connection_fails_only_that_request() => RunAsync(async (_, token) =>
    {
        await using KestrelTestServer server = Create(app =>
        {
            app.MapGet("/plaintext", () => "Hello, World!");
            app.MapGet("/abort", (HttpContext c) => c.Abort());
        });
        await server.StartAsync(token);
        using HttpClient client = KestrelTestServer.CreateClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(new Uri(server.Http, "/abort"), token));
        Assert.Equal("Hello, World!", await client.GetStringAsync(new Uri(server.Http, "/plaintext"), token));
    });

    [SkippableFact]
    public virtual Task A_slow_reader_stops_the_upload_with_bounded_memory() => RunAsync(async (_, token) =>
    {
        const long Total = 64L << 20;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using KestrelTestServer server = Create(
            app => app.MapPost("/slow", async (HttpContext c) =>
            {
                entered.TrySetResult();
                await release.Task.WaitAsync(c.RequestAborted);
                long count = 0;
                byte[] buffer = new byte[65536];
                int n;
                while ((n = await c.Request.Body.ReadAsync(buffer, c.RequestAborted)) > 0)
                {
                    count += n;
                }

                return count;
            }),
            transport: t => t.MaxReadBufferSize = 64 * 1024,
            kestrel: k => k.Limits.MaxRequestBodySize = null);
        await server.StartAsync(token);
        using HttpClient client = KestrelTestServer.CreateClient();
        var body = new ChunkedContent(null, Total, 64 * 1024);
        Task<string> posting = client.PostAsync(new Uri(server.Http, "/slow"), body, token)
            .ContinueWith(t => t.Result.Content.ReadAsStringAsync(token), token, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        await entered.Task.WaitAsync(token);

        // The handler reads nothing: the upload must stall once the transport's 64 KiB and the kernel's socket buffers
        // are full. A measurement, not an ordering: sample until the count stays put.
        long stalledAt = await WaitForPlateauAsync(() => body.Written, token);
        Assert.True(stalledAt < Total / 2, $"the upload did not stall: {stalledAt} of {Total} bytes were taken while nobody read");

        release.TrySetResult();
        Assert.Equal(Total.ToString(System.Globalization.CultureInfo.InvariantCulture), await posting.WaitAsync(token));
    }, LongTimeout);

    [SkippableFact]
    public virtual Task Graceful_shutdown_stops_accepting_lets_in_flight_requests_finish_then_stops() => RunAsync(async (_, token) =>
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using KestrelTestServer server = Create(app => app.MapGet("/inflight", async () =>
        {
            entered.TrySetResult();
            await release.Task;
            return "done";
        }));
        await server.StartAsync(token);
        Uri address = server.Http;
        using HttpClient client = KestrelTestServer.CreateClient();
        Task<HttpResponseMessage> inFlight = client.GetAsync(new Uri(address, "/inflight"), token);
        await entered.Task.WaitAsync(token);

        Task stopping = server.App.StopAsync(token);
        await server.Log.WaitForAsync(LogEventUnbound, token);
        await Assert.ThrowsAsync<SocketException>(async () => (await ConnectRawAsync(address, token)).Dispose());
        Assert.False(stopping.IsCompleted, "the server stopped while a request was in flight");

        release.TrySetResult();
        using HttpResponseMessage response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("done", await response.Content.ReadAsStringAsync(token));
        await stopping;
    });

    [SkippableFact]
    public virtual Task The_shutdown_timeout_aborts_requests_that_do_not_finish() => RunAsync(async (_, token) =>
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using KestrelTestServer server = Create(
            app => app.MapGet("/stuck", async () =>
            {
                entered.TrySetResult();
                await never.Task;
                return "never";
            }),
            configure: b => b.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300)));
        await server.StartAsync(token);
        using HttpClient client = KestrelTestServer.CreateClient();
        Task<HttpResponseMessage> stuck = client.GetAsync(new Uri(server.Http, "/stuck"), token);
        await entered.Task.WaitAsync(token);
        try
        {
            await server.App.StopAsync(CancellationToken.None);
            await Assert.ThrowsAsync<HttpRequestException>(() => stuck);
        }
        finally
        {
            never.TrySetResult();
        }
    });

    [SkippableFact]
    public virtual Task A_unix_socket_endpoint_serves_http_and_its_file_is_removed_at_shutdown() => RunAsync(async (_, token) =>
    {
        RequireCapability(BackendCapabilities.UnixSockets, "a Unix-socket endpoint needs Unix domain sockets");
        string path = StreamTestHelpers.NewUnixPath();
        await using KestrelTestServer server = Create(
            app => app.MapGet("/where", (HttpContext c) => $"{c.Connection.RemoteIpAddress?.ToString() ?? "none"}"),
            kestrel: k => k.ListenUnixSocket(path));
        await server.StartAsync(token);
        using HttpClient client = KestrelTestServer.CreateClient(unixPath: path);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("none", await client.GetStringAsync(new Uri("http://localhost/where"), token));
        }

        await server.App.StopAsync(token);
        Assert.False(File.Exists(path), "the socket file is still there after the server stopped");
    });

    [SkippableFact]
    public virtual Task Completing_the_output_half_closes_and_the_input_goes_on() => RunAsync(async (backend, token) =>
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using KestrelTestServer server = Create(_ => { }, listen: l => l.Run(async connection =>
        {
            await connection.Transport.Output.WriteAsync("hello"u8.ToArray());
            await connection.Transport.Output.CompleteAsync();
            var text = new StringBuilder();
            while (true)
            {
                ReadResult result = await connection.Transport.Input.ReadAsync();
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    text.Append(Encoding.ASCII.GetString(segment.Span));
                }

                connection.Transport.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            received.TrySetResult(text.ToString());
        }));
        await server.StartAsync(token);

        await using ISocketStream stream = await backend.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, server.Http.Port), token);
        Assert.Equal("hello"u8.ToArray(), await stream.ReceiveToEndAsync(cancellationToken: token));
        await stream.SendAsync("still here"u8.ToArray(), token);
        await stream.SendEofAsync(token);
        Assert.Equal("still here", await received.Task.WaitAsync(token));
    });

    [SkippableFact]
    public virtual Task A_connection_has_the_transport_features_and_its_closed_token_fires() => RunAsync(async (backend, token) =>
    {
        var seen = new TaskCompletionSource<IFeatureSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using KestrelTestServer server = Create(_ => { }, listen: l => l.Run(async connection =>
        {
            var lifetime = connection.Features.Get<IConnectionLifetimeFeature>();
            using CancellationTokenRegistration registration = connection.ConnectionClosed.Register(() => closed.TrySetResult());
            seen.TrySetResult(new IFeatureSnapshot(
                connection.Features.Get<IConnectionIdFeature>()?.ConnectionId,
                connection.Features.Get<IConnectionTransportFeature>()?.Transport is not null,
                connection.Features.Get<IConnectionItemsFeature>()?.Items is not null,
                connection.Features.Get<IMemoryPoolFeature>()?.MemoryPool is not null,
                lifetime is not null,
                connection.Features.Get<IConnectionEndPointFeature>()?.LocalEndPoint,
                connection.Features.Get<IConnectionEndPointFeature>()?.RemoteEndPoint));
            // Waits for the peer to go away: the end of the input and ConnectionClosed.
            while (!(await connection.Transport.Input.ReadAsync()).IsCompleted)
            {
            }

            await closed.Task;
        }));
        await server.StartAsync(token);

        IFeatureSnapshot features;
        await using (ISocketStream stream = await backend.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, server.Http.Port), token))
        {
            features = await seen.Task.WaitAsync(token);
            Assert.False(string.IsNullOrEmpty(features.Id));
            Assert.True(features.Transport && features.Items && features.MemoryPool && features.Lifetime);
            Assert.Equal(stream.LocalEndPoint, features.Remote);
            Assert.Equal(stream.RemoteEndPoint, features.Local);
            Assert.False(closed.Task.IsCompleted);
        }

        await closed.Task.WaitAsync(token);
    });

    [SkippableFact]
    public virtual Task Garbage_from_a_client_gets_a_400_is_logged_at_debug_and_costs_nothing_else() => RunAsync(async (_, token) =>
    {
        await using KestrelTestServer server = Create(app => app.MapGet("/plaintext", () => "Hello, World!"));
        await server.StartAsync(token);
        using (Socket raw = await ConnectRawAsync(server.Http, token))
        {
            await raw.SendAsync(Encoding.ASCII.GetBytes("\x01\x02GARBAGE NOT HTTP\r\n\r\n"), token);
            byte[] reply = new byte[4096];
            int n = await raw.ReceiveAsync(reply, token);
            Assert.StartsWith("HTTP/1.1 400", Encoding.ASCII.GetString(reply, 0, n), StringComparison.Ordinal);
        }

        using HttpClient client = KestrelTestServer.CreateClient();
        Assert.Equal("Hello, World!", await client.GetStringAsync(new Uri(server.Http, "/plaintext"), token));
        Assert.Contains(server.Log.Entries, e => e.Level == LogLevel.Debug && e.Category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal));
        AssertNothingWorseThanInformation(server);
    });

    [SkippableFact]
    public virtual Task An_endpoint_in_use_fails_start_up_with_kestrels_address_in_use_error() => RunAsync(async (backend, token) =>
    {
        await using ISocketListener taken = backend.ListenTcp(StreamTestHelpers.Loopback4);
        int port = ((IPEndPoint)taken.LocalEndPoint).Port;
        await using KestrelTestServer server = Create(_ => { }, kestrel: k => k.Listen(IPAddress.Loopback, port));
        IOException error = await Assert.ThrowsAsync<IOException>(() => server.StartAsync(token));
        Assert.Contains("address already in use", error.Message, StringComparison.Ordinal);
        AddressInUseException inner = Assert.IsType<AddressInUseException>(error.InnerException);
        Assert.Contains($"127.0.0.1:{port}", inner.Message, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task An_unknown_backend_fails_start_up_naming_the_known_ones() => RunAsync(async (_, token) =>
    {
        await using KestrelTestServer server = Create(_ => { }, transport: t => t.Backend = "no-such-backend");
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => server.StartAsync(token));
        Assert.Contains("no-such-backend", error.Message, StringComparison.Ordinal);
        Assert.Contains("tasks, reactor, libuv", error.Message, StringComparison.Ordinal);
        Assert.Contains(KestrelTestServer.BackendUnderTest, error.Message, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task The_web_server_and_the_application_share_one_backend() => RunAsync(async (_, token) =>
    {
        await using KestrelTestServer server = Create(app => app.MapGet("/backend", (IAsyncBackend b) => b.Name));
        await server.StartAsync(token);
        IAsyncBackend backend = server.App.Services.GetRequiredService<IAsyncBackend>();
        Assert.Same(backend, server.App.Services.GetRequiredService<AnyNetConnectionListenerFactory>().Backend);
        using HttpClient client = KestrelTestServer.CreateClient();
        Assert.Equal(backend.Name, await client.GetStringAsync(new Uri(server.Http, "/backend"), token));
    });

    [SkippableFact]
    public virtual Task With_two_loops_connections_land_on_both_and_a_graceful_shutdown_drains_both() => RunAsync(async (backend, token) =>
    {
        SkipUnlessBuiltInLoopBackend(backend);
        const int Count = 8;
        int arrived = 0;
        var everyoneIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loops = new ConcurrentDictionary<SynchronizationContext, int>();
        await using KestrelTestServer server = Create(
            app => app.MapGet("/hold", async () =>
            {
                if (Interlocked.Increment(ref arrived) == Count)
                {
                    everyoneIn.TrySetResult();
                }

                await release.Task;
                return "done";
            }),
            transport: t =>
            {
                t.Backend = backend.Name;   // the built-in registration, which takes its loops from the transport options
                t.Loops = 2;
            },
            // Connection middleware, ahead of HTTP: which loop each connection's socket belongs to.
            listen: l => l.Use(next => connection =>
            {
                ITypedAttributeProvider socket = connection.Features.Get<ITypedAttributeProvider>()
                    ?? throw new InvalidOperationException("the connection has no ITypedAttributeProvider feature");
                loops.AddOrUpdate(socket.GetAttribute(TypedAttributes.LoopContext), 1, (_, n) => n + 1);
                return next(connection);
            }));
        await server.StartAsync(token);
        AnyNetConnectionListenerFactory transport = server.App.Services.GetRequiredService<AnyNetConnectionListenerFactory>();
        Assert.Same(server.App.Services.GetRequiredService<IAsyncBackend>(), transport.Backend);
        Assert.Equal(2, transport.LoopCount);

        // Eight connections at once (nobody is answered before all eight requests are in), then a graceful stop while
        // all eight are in flight: accepting stops, and the stop waits for the requests on both loops.
        Uri address = server.Http;
        using HttpClient client = KestrelTestServer.CreateClient();
        Task<string>[] inFlight = [.. Enumerable.Range(0, Count).Select(_ => client.GetStringAsync(new Uri(address, "/hold"), token))];
        await everyoneIn.Task.WaitAsync(token);
        Assert.Equal(2, loops.Count);
        Assert.Equal(Count, loops.Values.Sum());

        Task stopping = server.App.StopAsync(token);
        await server.Log.WaitForAsync(LogEventUnbound, token);
        await Assert.ThrowsAsync<SocketException>(async () => (await ConnectRawAsync(address, token)).Dispose());
        Assert.False(stopping.IsCompleted, "the server stopped while requests were in flight");
        release.TrySetResult();
        Assert.All(await Task.WhenAll(inFlight), reply => Assert.Equal("done", reply));
        await stopping;
    }, LongTimeout);

    [SkippableFact]
    public virtual Task The_built_in_loop_backend_runs_one_loop_per_core_by_default() => RunAsync((backend, _) =>
    {
        SkipUnlessBuiltInLoopBackend(backend);
        KestrelTestServer server = Create(_ => { }, transport: t =>
        {
            t.Backend = backend.Name;
            t.Loops = null;
        });
        return CheckAsync(server);

        static async Task CheckAsync(KestrelTestServer server)
        {
            await using (server)
            {
                Assert.Equal(Environment.ProcessorCount, server.App.Services.GetRequiredService<AnyNetConnectionListenerFactory>().LoopCount);
            }
        }
    });

    private const int LogEventUnbound = 9;

    /// <summary>
    /// <see cref="AnyNetTransportOptions.Loops"/> makes the built-in <c>reactor</c> and <c>libuv</c> backends (a backend
    /// registered by the application runs the loops its own options say); only a backend with an event loop has loops.
    /// </summary>
    private static void SkipUnlessBuiltInLoopBackend(IAsyncBackend backend)
    {
        Skip.IfNot(
            SynchronizationContext.Current is Backends.LoopSynchronizationContext,
            $"skipped: the '{backend.Name}' backend runs no event loop (its continuations run on the thread pool), so it has no loops to spread connections over.");
        Skip.IfNot(
            backend.Name is "reactor" or "libuv",
            $"skipped: AnyNetTransportOptions.Loops sets the loops of the built-in reactor and libuv backends; the '{backend.Name}' backend's own options set its loops.");
    }

    private KestrelTestServer Create(
        Action<WebApplication> map,
        Action<AnyNetTransportOptions>? transport = null,
        Action<KestrelServerOptions>? kestrel = null,
        Action<KestrelListenOptions>? listen = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        // Kestrel itself runs on the thread pool and its clients here are HttpClient and raw System.Net.Sockets sockets:
        // they reach only the operating system's sockets, never a simulated network's.
        RequireCapability(BackendCapabilities.OperatingSystemSockets, "the web server is driven by HttpClient and System.Net.Sockets clients, which reach only OS sockets");
        return KestrelTestServer.Create(Fixture.CreateBackend, map, transport, kestrel, listen, configure);
    }

    private static async Task<Socket> ConnectRawAsync(Uri address, CancellationToken token)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, address.Port), token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<long> WaitForPlateauAsync(Func<long> read, CancellationToken token)
    {
        long last = -1;
        int steady = 0;
        while (steady < 5)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), token);
            long now = read();
            steady = now == last ? steady + 1 : 0;
            last = now;
        }

        return last;
    }

    private static void AssertNothingWorseThanInformation(KestrelTestServer server)
    {
        LogEntry[] bad = [.. server.Log.Entries.Where(e => e.Level >= LogLevel.Warning)];
        Assert.True(bad.Length == 0, "unexpected log entries: " + string.Join(" | ", bad.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception}")));
    }

    private sealed record IFeatureSnapshot(string? Id, bool Transport, bool Items, bool MemoryPool, bool Lifetime, EndPoint? Local, EndPoint? Remote);
}
