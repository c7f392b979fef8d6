using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using AnyNet.Backends;
using AnyNet.Conformance;
using AnyNet.Testing;

namespace AnyNet.Conformance.Tests.Threads;

/// <summary>
/// A socket-less single-threaded loop backend, only for this test project: it lets the threads, portal and virtual-time
/// areas check their loop-backend rules (loop thread, loop context, idle detection) before the reactor and libuv
/// backends are wired in. Everything but scheduling and time throws <see cref="NotSupportedException"/>.
/// </summary>
internal sealed class LoopTestBackend : IAsyncBackend
{
    private readonly BackendLifetime _lifetime = new("test-loop");
    private readonly LoopContext _loop;
    private readonly Thread _thread;

    public LoopTestBackend(TimeProvider? clock = null)
    {
        TimeProvider = clock ?? TimeProvider.System;
        _loop = new LoopContext(TimeProvider as ILoopIdleObserver);
        _thread = new Thread(_loop.Run) { IsBackground = true, Name = "test loop backend" };
        _thread.Start();
    }

    public string Name => "test-loop";

    public BackendCapabilities Capabilities => BackendCapabilities.SingleThreadedLoop | BackendCapabilities.VirtualTime;

    public TimeProvider TimeProvider { get; }

    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> main, CancellationToken cancellationToken = default) =>
        _lifetime.RunAsync(main, start =>
        {
            var started = new TaskCompletionSource<Task<T>>(TaskCreationOptions.RunContinuationsAsynchronously);
            _loop.Post(_ => started.SetResult(start()), null);
            return started.Task.Unwrap();
        }, cancellationToken);

    public ValueTask<ISocketStream> ConnectTcpAsync(IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public ISocketListener ListenTcp(IPEndPoint localEndPoint, ListenOptions? options = null) => throw new NotSupportedException();

    public ValueTask<ISocketStream> ConnectUnixAsync(string path, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public ISocketListener ListenUnix(string path, ListenOptions? options = null) => throw new NotSupportedException();

    public IDatagramSocket BindUdp(IPEndPoint localEndPoint, IPEndPoint? remoteEndPoint = null) => throw new NotSupportedException();

    public IDatagramSocket BindUnixDatagram(string? path, string? remotePath = null) => throw new NotSupportedException();

    public ValueTask<IPAddress[]> ResolveAsync(string host, AddressFamily family = AddressFamily.Unspecified, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public async ValueTask DisposeAsync()
    {
        await _lifetime.StopAsync();
        _loop.Complete();
        if (Environment.CurrentManagedThreadId != _thread.ManagedThreadId)
        {
            _thread.Join();
        }

        _lifetime.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private sealed class LoopContext(ILoopIdleObserver? idleObserver) : SynchronizationContext
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

        public override void Post(SendOrPostCallback d, object? state)
        {
            try
            {
                _queue.Add((d, state));
            }
            catch (InvalidOperationException)
            {
                // The loop has stopped: like a closed loop, late work is dropped.
            }
        }

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();

        public override SynchronizationContext CreateCopy() => this;

        private int _completed;

        public void Complete()
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0)
            {
                _queue.CompleteAdding();
            }
        }

        public void Run()
        {
            SetSynchronizationContext(this);
            using IDisposable? attachment = idleObserver?.AttachLoop(this);
            while (!_queue.IsCompleted)
            {
                if (_queue.TryTake(out var item))
                {
                    item.Callback(item.State);
                    continue;
                }

                // The idle-detection protocol of ILoopIdleObserver: ask the clock before blocking.
                if (idleObserver?.OnLoopIdle() == true)
                {
                    continue;
                }

                try
                {
                    item = _queue.Take();
                }
                catch (InvalidOperationException)
                {
                    break;
                }

                item.Callback(item.State);
            }

            _queue.Dispose();
        }
    }
}

/// <summary>Makes <see cref="LoopTestBackend"/>s.</summary>
public sealed class LoopTestFixture : IVirtualTimeBackendFixture
{
    public IAsyncBackend CreateBackend() => new LoopTestBackend();

    public IAsyncBackend CreateBackend(TimeProvider clock) => new LoopTestBackend(clock);
}
