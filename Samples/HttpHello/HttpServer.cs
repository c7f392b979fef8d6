using System.Collections.Concurrent;

namespace AnyNet.Samples.HttpHello;

/// <summary>
/// A minimal HTTP/1.1 server: keep-alive, pipelining (all complete requests in a read are answered with one send),
/// limits, and timeouts driven by a heartbeat on the backend's <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// Timeouts use Kestrel's design: instead of arming a timer for every read, each connection records a deadline and
/// one heartbeat (a few times per timeout, at most once a second) cancels the connections past theirs. The heartbeat
/// also refreshes the cached Date header, which has one-second resolution anyway (RFC 9110 §6.6.1).
/// </remarks>
internal sealed class HttpServer
{
    private static readonly byte[] s_helloBody = "Hello, World!"u8.ToArray();

    private readonly IAsyncBackend _backend;
    private readonly HttpOptions _options;
    private readonly ConcurrentDictionary<ConnectionState, byte> _connections = new();
    private readonly TimeSpan _tick;
    private byte[] _dateHeader;

    public HttpServer(IAsyncBackend backend, HttpOptions options)
    {
        _backend = backend;
        _options = options;
        TimeSpan shortest = options.RequestTimeout < options.KeepAliveTimeout ? options.RequestTimeout : options.KeepAliveTimeout;
        _tick = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerSecond));
        _dateHeader = HttpResponseWriter.FormatDate(backend.TimeProvider.GetUtcNow());
    }

    public Task ServeAsync(ISocketListener listener, CancellationToken cancellationToken) =>
        TaskGroup.RunAsync(group =>
        {
            group.Start(HeartbeatAsync);
            group.Start(token => listener.ServeAsync(ConnectionGuard.Wrap<ISocketStream>("HttpHello", HandleAsync), token));
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>Serves one connection (any <see cref="IByteStream"/>).</summary>
    public async Task HandleAsync(IByteStream stream, CancellationToken cancellationToken)
    {
        using var connectionCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var state = new ConnectionState(connectionCancel);
        _connections.TryAdd(state, 0);
        try
        {
            await ServeConnectionAsync(stream, state, cancellationToken);
        }
        finally
        {
            _connections.TryRemove(state, out _);
        }
    }

    private async Task ServeConnectionAsync(IByteStream stream, ConnectionState state, CancellationToken serverToken)
    {
        await using var input = new BufferedByteStream(stream, 8 * 1024, leaveOpen: true);
        var output = new HttpResponseWriter();
        TimeProvider time = _backend.TimeProvider;
        int wanted = 1;
        long requestStarted = 0;
        while (true)
        {
            // The clock runs from the first byte of a request (a slow trickle does not extend it), or while idle.
            state.Deadline = input.BufferedCount > 0
                ? requestStarted + ToTimestamp(_options.RequestTimeout)
                : time.GetTimestamp() + ToTimestamp(_options.KeepAliveTimeout);
            ReadOnlyMemory<byte> received;
            try
            {
                received = await input.PeekAsync(wanted, state.Cancel.Token);
            }
            catch (IncompleteReadException)
            {
                return;
            }
            catch (OperationCanceledException) when (state.TimedOut && !serverToken.IsCancellationRequested)
            {
                if (input.BufferedCount > 0)
                {
                    // Stalled mid-request: tell the client why before closing (RFC 9110 §15.5.9).
                    output.Write("408 Request Timeout"u8, _dateHeader, "request timed out\n"u8, true, 2);
                    await stream.SendAsync(output.WrittenMemory, serverToken);
                    await stream.SendEofAsync(serverToken);
                }

                return;
            }

            state.Deadline = long.MaxValue;
            bool open = true;
            int offset = 0;
            while (open)
            {
                ReadOnlySpan<byte> pending = received.Span[offset..];
                HttpParseStatus status = HttpRequestParser.TryParse(pending, _options.MaxRequestLineBytes, _options.MaxHeaderBytes, out HttpRequestHead head);
                if (status == HttpParseStatus.Incomplete)
                {
                    wanted = pending.Length + 1;
                    break;
                }

                if (status != HttpParseStatus.Complete)
                {
                    WriteError(output, status);
                    open = false;
                    break;
                }

                if (head.HasTransferEncoding)
                {
                    // This server reads no chunked bodies; RFC 9112 §6.1 lets it refuse with 501 and close.
                    output.Write("501 Not Implemented"u8, _dateHeader, "transfer codings are not supported\n"u8, true, 2);
                    open = false;
                    break;
                }

                if (head.ContentLength > _options.MaxBodyBytes)
                {
                    output.Write("413 Content Too Large"u8, _dateHeader, "request body too large\n"u8, true, 2);
                    open = false;
                    break;
                }

                int total = head.HeadLength + (int)head.ContentLength;
                if (pending.Length < total)
                {
                    wanted = total;
                    break;
                }

                Respond(output, pending, head);
                offset += total;
                open = head.KeepAlive;
            }

            input.Consume(offset);
            if (output.WrittenCount > 0)
            {
                await stream.SendAsync(output.WrittenMemory, serverToken);
                output.Clear();
            }

            if (!open)
            {
                await stream.SendEofAsync(serverToken);
                return;
            }

            if (input.BufferedCount == 0)
            {
                requestStarted = 0;
            }
            else if (requestStarted == 0 || offset > 0)
            {
                requestStarted = time.GetTimestamp();
            }
        }
    }

    private void Respond(HttpResponseWriter output, ReadOnlySpan<byte> request, in HttpRequestHead head)
    {
        ReadOnlySpan<byte> method = request[head.Method];
        ReadOnlySpan<byte> target = request[head.Target];
        int connection = head.KeepAlive ? (head.MinorVersion == 0 ? 1 : 0) : 2;
        bool isHead = method.SequenceEqual("HEAD"u8);
        if (!target.SequenceEqual("/plaintext"u8))
        {
            output.Write("404 Not Found"u8, _dateHeader, "not found\n"u8, !isHead, connection);
        }
        else if (method.SequenceEqual("GET"u8) || isHead)
        {
            output.Write("200 OK"u8, _dateHeader, s_helloBody, !isHead, connection);
        }
        else
        {
            output.Write("405 Method Not Allowed"u8, _dateHeader, "method not allowed\n"u8, true, connection, "Allow: GET, HEAD\r\n"u8);
        }
    }

    private void WriteError(HttpResponseWriter output, HttpParseStatus status)
    {
        switch (status)
        {
            case HttpParseStatus.UriTooLong:
                output.Write("414 URI Too Long"u8, _dateHeader, "request line too long\n"u8, true, 2);
                break;
            case HttpParseStatus.HeadersTooLarge:
                output.Write("431 Request Header Fields Too Large"u8, _dateHeader, "request header fields too large\n"u8, true, 2);
                break;
            case HttpParseStatus.VersionNotSupported:
                output.Write("505 HTTP Version Not Supported"u8, _dateHeader, "HTTP version not supported\n"u8, true, 2);
                break;
            default:
                output.Write("400 Bad Request"u8, _dateHeader, "bad request\n"u8, true, 2);
                break;
        }
    }

    private long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * _backend.TimeProvider.TimestampFrequency);

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _backend.SleepAsync(_tick, cancellationToken);
            _dateHeader = HttpResponseWriter.FormatDate(_backend.TimeProvider.GetUtcNow());
            long now = _backend.TimeProvider.GetTimestamp();
            foreach (ConnectionState state in _connections.Keys)
            {
                if (now >= state.Deadline && !state.TimedOut)
                {
                    state.TimedOut = true;
                    state.Cancel.Cancel();
                }
            }
        }
    }

    private sealed class ConnectionState(CancellationTokenSource cancel)
    {
        private long _deadline = long.MaxValue;

        public CancellationTokenSource Cancel { get; } = cancel;

        public long Deadline
        {
            get => Volatile.Read(ref _deadline);
            set => Volatile.Write(ref _deadline, value);
        }

        public volatile bool TimedOut;
    }
}
