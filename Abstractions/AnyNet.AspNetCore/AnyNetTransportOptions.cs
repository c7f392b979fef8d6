namespace AnyNet.AspNetCore;

/// <summary>
/// Settings of the AnyNet Kestrel transport (<c>UseAnyNet</c>). Bound from the configuration section <c>AnyNet</c>
/// (<c>AnyNet:Backend</c>, <c>AnyNet:Loops</c>, ...); the delegate given to <c>UseAnyNet</c> runs after it, so code wins.
/// </summary>
public sealed class AnyNetTransportOptions
{
    /// <summary>
    /// The backend to serve on (<c>tasks</c>, <c>reactor</c>, <c>libuv</c>, or a name registered with
    /// <c>AddAnyNet().AddBackend</c>). When set it overrides <c>AnyNet:Backend</c>; when null that setting decides.
    /// </summary>
    public string? Backend { get; set; }

    /// <summary>
    /// How many event loops the built-in <c>reactor</c> and <c>libuv</c> backends run when <c>UseAnyNet</c> creates
    /// them (<see cref="Backends.Reactor.ReactorBackendOptions.Loops"/>, <see cref="Backends.Libuv.LibuvBackendOptions.Loops"/>).
    /// Null (the default) means one per core available to the process (<see cref="Environment.ProcessorCount"/>, which
    /// follows <c>taskset</c>). It is one backend instance, shared with the application's own AnyNet code: its one
    /// listener per endpoint hands each accepted connection (TCP or Unix) to the next loop in turn, and the connection
    /// stays on that loop. With more than one loop the backend does not declare
    /// <see cref="BackendCapabilities.SingleThreadedLoop"/>. Ignored for <c>tasks</c> (the thread pool) and for a backend
    /// the application registered itself, whose own options say how many loops it runs.
    /// </summary>
    public int? Loops { get; set; }

    /// <summary>
    /// How many received bytes may wait for the application before the transport stops reading from the socket
    /// (reading resumes when half of it was consumed). Default 1 MiB, as Kestrel's Sockets transport; 0 means no limit.
    /// </summary>
    public long MaxReadBufferSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// How many bytes the application may write ahead of the socket before its flushes wait. Default 64 KiB, as
    /// Kestrel's Sockets transport; 0 means no limit.
    /// </summary>
    public long MaxWriteBufferSize { get; set; } = 64 * 1024;

    /// <summary>
    /// Waits for data with a zero-length receive before taking a buffer from the memory pool, so an idle connection
    /// holds no buffer. Default true (Kestrel's <c>WaitForDataBeforeAllocatingBuffer</c>).
    /// </summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; set; } = true;

    /// <summary>The listen backlog. Default 512.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>
    /// Runs Kestrel and the application inline on the thread that completed the I/O (for a loop backend: the loop
    /// thread) instead of dispatching to the thread pool. Saves a thread hop per read and per write, but any blocking
    /// or long work in the application then stalls every connection of that loop. Default false.
    /// Same meaning as Kestrel's <c>SocketTransportOptions.UnsafePreferInlineScheduling</c>.
    /// </summary>
    public bool UnsafePreferInlineScheduling { get; set; }

    internal void Validate()
    {
        if (Loops is <= 0 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(Loops), Loops, "AnyNet:Loops must be between 1 and 1024 (or unset for one per core).");
        }

        if (MaxReadBufferSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReadBufferSize), MaxReadBufferSize, "The read buffer limit must not be negative.");
        }

        if (MaxWriteBufferSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWriteBufferSize), MaxWriteBufferSize, "The write buffer limit must not be negative.");
        }

        if (Backlog <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Backlog), Backlog, "The listen backlog must be positive.");
        }
    }
}
