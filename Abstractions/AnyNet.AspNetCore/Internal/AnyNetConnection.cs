using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AnyNet.AspNetCore.Internal;

/// <summary>
/// One accepted connection as Kestrel sees it: a <see cref="ConnectionContext"/> whose <see cref="Transport"/> is a pair
/// of pipes, pumped from and to the AnyNet stream by two loops that run on the backend's scheduler (the loop thread of
/// a loop backend).
/// </summary>
/// <remarks>
/// <para>Backpressure: the input pipe pauses its writer at <see cref="AnyNetTransportOptions.MaxReadBufferSize"/>, and a
/// paused receive loop does not receive, so a slow reader makes the peer's TCP window close; the output pipe pauses
/// the application's flushes at <see cref="AnyNetTransportOptions.MaxWriteBufferSize"/>, and the send loop hands each
/// segment to <see cref="IByteSendStream.SendAsync"/>, which completes only when the bytes are in the socket.</para>
/// <para>Lifetime, following Kestrel's Sockets transport (SocketConnection): <see cref="ConnectionClosed"/> fires when the
/// receive side ends (the peer's FIN, a reset, or an abort). Unlike the Sockets transport, an application that
/// completes <c>Transport.Output</c> while the connection is still in use half-closes it
/// (<see cref="IByteStream.SendEofAsync"/>) and may go on reading; <see cref="DisposeAsync"/> or
/// <see cref="Abort(ConnectionAbortedException)"/> closes the stream.</para>
/// </remarks>
internal sealed class AnyNetConnection : ConnectionContext,
    IConnectionIdFeature,
    IConnectionTransportFeature,
    IConnectionItemsFeature,
    IMemoryPoolFeature,
    IConnectionLifetimeFeature,
    IConnectionEndPointFeature,
    ITypedAttributeProvider
{
    private readonly ISocketStream _stream;
    private readonly ILogger _logger;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly SynchronizationContext? _loop;
    private readonly bool _waitForData;
    private readonly int _minimumReceiveBuffer;
    private readonly CancellationTokenSource _connectionClosed = new();
    private readonly TaskCompletionSource _connectionClosedFired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _streamClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<AnyNetConnection>? _onClosed;
    private IDictionary<object, object?>? _items;
    private string? _connectionId;
    private Task _sending = Task.CompletedTask;
    private Task _processing = Task.CompletedTask;
    private volatile ConnectionAbortedException? _abortReason;
    private volatile bool _disposing;
    private int _closeStarted;
    private int _connectionClosedStarted;

    public AnyNetConnection(ISocketStream stream, MemoryPool<byte> memoryPool, AnyNetTransportOptions options, ILogger logger, long number, Action<AnyNetConnection>? onClosed)
    {
        _stream = stream;
        _logger = logger;
        _onClosed = onClosed;
        Number = number;
        MemoryPool = memoryPool;
        _waitForData = options.WaitForDataBeforeAllocatingBuffer;
        // Kestrel's Sockets transport asks for half a block at least; the pool's blocks are 4 KiB.
        _minimumReceiveBuffer = Math.Max(1, Math.Min(memoryPool.MaxBufferSize, 4096) / 2);
        LocalEndPoint = stream.LocalEndPoint;
        RemoteEndPoint = stream.RemoteEndPoint;
        ConnectionClosed = _connectionClosed.Token;

        // The transport's ends of the pipes continue on the loop the stream belongs to (a loop backend is created with
        // its SynchronizationContext current, and the connection is made on the loop; a backend with several loops
        // names the accepted stream's own loop, TypedAttributes.LoopContext); the application's ends on the thread
        // pool, like Kestrel's Sockets transport, unless inline scheduling was asked for.
        _loop = LoopOf(stream) ?? SynchronizationContext.Current;
        PipeScheduler transportScheduler = _loop is null ? PipeScheduler.ThreadPool : new ContextPipeScheduler(_loop);
        PipeScheduler applicationScheduler = options.UnsafePreferInlineScheduling ? PipeScheduler.Inline : PipeScheduler.ThreadPool;
        long maxRead = options.MaxReadBufferSize;
        long maxWrite = options.MaxWriteBufferSize;
        _input = new Pipe(new PipeOptions(memoryPool, applicationScheduler, transportScheduler, maxRead, maxRead / 2, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(memoryPool, transportScheduler, applicationScheduler, maxWrite, maxWrite / 2, useSynchronizationContext: false));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);

        Features = new FeatureCollection();
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IMemoryPoolFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        // The AnyNet socket's typed attributes (raw handle, socket options, Unix peer credentials, its loop), as
        // Kestrel's Sockets transport offers its Socket (IConnectionSocketFeature); the stream itself stays private.
        Features.Set<ITypedAttributeProvider>(this);
    }

    /// <summary>A number unique within the process, for the transport's own bookkeeping and logs.</summary>
    public long Number { get; }

    public override string ConnectionId
    {
        get => _connectionId ??= "anynet-" + Number.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        set => _connectionId = value;
    }

    public override IFeatureCollection Features { get; }

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new ConnectionItems();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public MemoryPool<byte> MemoryPool { get; }

    public override CancellationToken ConnectionClosed { get; set; }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>Completes when both pumps have ended and the stream is closed.</summary>
    public Task Completion => _processing;

    /// <summary>
    /// Starts the pumps on the stream's loop: at once when called there (the backend's scheduler), otherwise posted to
    /// it (a backend with several loops hands accepted connections to its other loops).
    /// </summary>
    public void Start() => _processing = _loop is null || SynchronizationContext.Current == _loop ? ProcessAsync() : StartOnLoop(_loop);

    private Task StartOnLoop(SynchronizationContext loop)
    {
        var started = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(static s =>
        {
            var (connection, started) = ((AnyNetConnection, TaskCompletionSource<Task>))s!;
            started.TrySetResult(connection.ProcessAsync());
        }, (this, started));
        return started.Task.Unwrap();
    }

    private static SynchronizationContext? LoopOf(ISocketStream stream)
    {
        // Accepted on a loop, or not at all a loop backend (then nothing is asked of the socket).
        if (SynchronizationContext.Current is not Backends.LoopSynchronizationContext)
        {
            return null;
        }

        try
        {
            return stream.TryGetAttribute(TypedAttributes.LoopContext, out SynchronizationContext? context) ? context : null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    bool ITypedAttributeProvider.TryGetAttribute<T>(TypedAttribute<T> attribute, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) =>
        _stream.TryGetAttribute(attribute, out value);

    void IConnectionLifetimeFeature.Abort() =>
        Abort(new ConnectionAbortedException("The connection was aborted by the application via IConnectionLifetimeFeature.Abort()."));

    public override void Abort(ConnectionAbortedException abortReason)
    {
        // Kestrel passes null when it ends a connection without a reason of its own (Http1OutputProducer).
        abortReason ??= new ConnectionAbortedException("The connection was aborted.");
        if (_abortReason is null)
        {
            _abortReason = abortReason;
            Log.ConnectionAborted(_logger, ConnectionId, abortReason.Message);
        }

        // Closing the stream wakes a waiting receive and fails a waiting send; cancelling the pending read ends the send
        // loop without sending what the application still had buffered.
        CloseStream();
        _output.Reader.CancelPendingRead();
        _input.Writer.CancelPendingFlush();
    }

    public override async ValueTask DisposeAsync()
    {
        // Kestrel disposes a connection once its middleware is done. What was written is still sent; then the stream
        // is closed, which also ends a receive that waits for a peer that stays silent.
        _disposing = true;
        _input.Reader.Complete();
        _output.Writer.Complete();
        try
        {
            await _sending.ConfigureAwait(false);
        }
        finally
        {
            CloseStream();
            await _processing.ConfigureAwait(false);
            _connectionClosed.Dispose();
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ProcessAsync()
    {
        try
        {
            Task receiving = ReceiveLoopAsync();
            _sending = SendLoopAsync();
            await receiving;
            await _sending;
        }
        catch (Exception error)
        {
            Log.UnexpectedError(_logger, error, ConnectionId);
        }
        finally
        {
            CloseStream();
            await _streamClosed.Task;
            _onClosed?.Invoke(this);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        try
        {
            PipeWriter input = _input.Writer;
            while (true)
            {
                if (_waitForData)
                {
                    // A zero-length receive waits for data without consuming it, so an idle connection holds no buffer.
                    await _stream.ReceiveAsync(Memory<byte>.Empty);
                }

                Memory<byte> buffer = input.GetMemory(_minimumReceiveBuffer);
                int received = await _stream.ReceiveAsync(buffer);
                if (received == 0)
                {
                    Log.ReadFin(_logger, ConnectionId);
                    break;
                }

                input.Advance(received);
                FlushResult flushed = await input.FlushAsync();
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    // The application stopped reading (or the connection was aborted): stop receiving.
                    break;
                }
            }
        }
        catch (BrokenResourceException broken)
        {
            error = new ConnectionResetException(broken.Message, broken);
            if (_abortReason is null && !_disposing)
            {
                Log.ConnectionReset(_logger, ConnectionId, broken.Message);
            }
        }
        catch (ObjectDisposedException closed)
        {
            // ClosedResourceException: this side closed the stream (abort or dispose); the abort reason says why.
            error = closed;
        }
        catch (Exception unexpected)
        {
            error = unexpected;
            Log.UnexpectedError(_logger, unexpected, ConnectionId);
        }
        finally
        {
            // As in Kestrel's Sockets transport, an abort is the reason the receive side ended, whatever it threw.
            Exception? reason = _abortReason ?? (error is ObjectDisposedException ? new ConnectionAbortedException("The connection was closed.", error) : error);
            await _input.Writer.CompleteAsync(reason);
            FireConnectionClosed();
            await _connectionClosedFired.Task;
        }
    }

    private async Task SendLoopAsync()
    {
        Exception? unexpected = null;
        bool graceful = false;
        try
        {
            PipeReader output = _output.Reader;
            while (true)
            {
                ReadResult result = await output.ReadAsync();
                if (result.IsCanceled)
                {
                    break;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                if (buffer.IsSingleSegment)
                {
                    await _stream.SendAsync(buffer.First);
                }
                else
                {
                    foreach (ReadOnlyMemory<byte> segment in buffer)
                    {
                        await _stream.SendAsync(segment);
                    }
                }

                output.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    graceful = true;
                    break;
                }
            }
        }
        catch (BrokenResourceException broken)
        {
            if (_abortReason is null && !_disposing)
            {
                Log.ConnectionReset(_logger, ConnectionId, broken.Message);
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed by an abort or by disposal.
        }
        catch (Exception error)
        {
            unexpected = error;
            Log.UnexpectedError(_logger, error, ConnectionId);
        }

        if (graceful && !_disposing && _abortReason is null)
        {
            // The application completed its output but the connection is still in use: half-close, keep receiving.
            try
            {
                await _stream.SendEofAsync();
                Log.WriteFin(_logger, ConnectionId);
            }
            catch (Exception error) when (error is IOException or ObjectDisposedException or InvalidOperationException)
            {
                CloseStream();
            }
        }
        else
        {
            CloseStream();
            _input.Writer.CancelPendingFlush();
        }

        await _output.Reader.CompleteAsync(unexpected);
    }

    private void FireConnectionClosed()
    {
        if (Interlocked.Exchange(ref _connectionClosedStarted, 1) != 0)
        {
            return;
        }

        // Off the loop: the callbacks registered on ConnectionClosed are Kestrel's and the application's code.
        ThreadPool.UnsafeQueueUserWorkItem(
            static connection =>
            {
                try
                {
                    connection._connectionClosed.Cancel();
                }
                catch (Exception error)
                {
                    Log.UnexpectedError(connection._logger, error, connection.ConnectionId);
                }

                connection._connectionClosedFired.TrySetResult();
            },
            this,
            preferLocal: false);
    }

    private void CloseStream()
    {
        if (Interlocked.Exchange(ref _closeStarted, 1) != 0)
        {
            return;
        }

        // On a loop backend the stream is closed on its own loop, like every other call on it.
        if (_loop is not null && SynchronizationContext.Current != _loop)
        {
            try
            {
                _loop.Post(static state => _ = ((AnyNetConnection)state!).CloseStreamNowAsync(), this);
                return;
            }
            catch (ObjectDisposedException)
            {
                // The loop is gone (its backend was disposed): close from here.
            }
        }

        _ = CloseStreamNowAsync();
    }

    private async Task CloseStreamNowAsync()
    {
        try
        {
            await _stream.DisposeAsync();
        }
        catch (Exception error)
        {
            Log.UnexpectedError(_logger, error, ConnectionId);
        }
        finally
        {
            _streamClosed.TrySetResult();
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
