namespace AnyNet.Samples.MiniRedis;

/// <summary>
/// The RESP2 server: one handler per connection over a <see cref="BufferedByteStream"/>, plus the expiry sweep,
/// all in one task group so stopping the server stops everything.
/// </summary>
internal sealed class RedisServer
{
    private readonly IAsyncBackend _backend;
    private readonly RedisOptions _options;
    private readonly RedisCommands _commands;

    /// <param name="backend">The backend (its clock drives expiry).</param>
    /// <param name="options">Limits.</param>
    /// <param name="port">The port INFO and CONFIG GET report.</param>
    public RedisServer(IAsyncBackend backend, RedisOptions options, int port)
    {
        _backend = backend;
        _options = options;
        Store = new RedisStore(backend.TimeProvider);
        _commands = new RedisCommands(Store, new RedisServerInfo(backend.Name, port, backend.TimeProvider));
    }

    /// <summary>The keyspace (tests look at it).</summary>
    public RedisStore Store { get; }

    /// <summary>Serves <paramref name="listener"/> until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task ServeAsync(ISocketListener listener, CancellationToken cancellationToken) =>
        TaskGroup.RunAsync(group =>
        {
            group.Start(RunExpiryAsync);
            group.Start(token => listener.ServeAsync(ConnectionGuard.Wrap<ISocketStream>("MiniRedis", HandleAsync), token));
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>Serves one client stream (any <see cref="IByteStream"/>: a socket, or a memory pair in tests).</summary>
    public async Task HandleAsync(IByteStream stream, CancellationToken cancellationToken)
    {
        RedisCommands commands = _commands;

        // leaveOpen: ServeAsync owns the socket and closes it; the buffered view only returns its pooled buffer.
        await using var input = new BufferedByteStream(stream, 16 * 1024, leaveOpen: true);
        var reply = new RespWriter();
        var arguments = new List<ReadOnlyMemory<byte>>();
        int wanted = 1;
        while (true)
        {
            ReadOnlyMemory<byte> received;
            try
            {
                received = await input.PeekAsync(wanted, cancellationToken);
            }
            catch (IncompleteReadException)
            {
                // The client closed, between commands or inside one: there is nobody to answer.
                return;
            }

            // Every whole command in what arrived runs now; their replies go out together in one send.
            int offset = 0;
            bool open = true;
            while (open)
            {
                RespParseStatus status = RespParser.TryParse(received[offset..], _options.MaxBulkLength, arguments, out int consumed, out string? error);
                if (status == RespParseStatus.Incomplete)
                {
                    // What the command needs in all, counted from its start (more than is buffered): a large bulk is
                    // awaited in one call instead of growing the buffer a receive at a time.
                    wanted = consumed;
                    break;
                }

                if (status == RespParseStatus.Error)
                {
                    // Redis answers a protocol error and closes: the rest of the stream cannot be framed any more.
                    reply.Error("ERR " + error);
                    open = false;
                    break;
                }

                offset += consumed;
                open = commands.Execute(arguments, reply);
            }

            arguments.Clear();
            input.Consume(offset);
            if (reply.WrittenCount > 0)
            {
                await stream.SendAsync(reply.WrittenMemory, cancellationToken);
                reply.Clear();
            }

            if (!open)
            {
                await stream.SendEofAsync(cancellationToken);
                return;
            }
        }
    }

    /// <summary>The active expiry loop (ServeAsync runs it; tests run it beside <see cref="HandleAsync"/>).</summary>
    public async Task RunExpiryAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _backend.SleepAsync(_options.SweepInterval, cancellationToken);

            // Redis's active expiry: keep sweeping while a quarter of a sample was expired, bounded per tick.
            for (int round = 0; round < 16 && Store.SweepExpired(200) >= 50; round++)
            {
            }
        }
    }
}
