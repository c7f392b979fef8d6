namespace AnyNet;

/// <summary>Optional features of a backend. The conformance suite skips a test, with the reason, for each one missing.</summary>
[Flags]
public enum BackendCapabilities
{
    /// <summary>No optional feature.</summary>
    None = 0,

    /// <summary>Unix domain stream sockets.</summary>
    UnixSockets = 1 << 0,

    /// <summary>Unix domain datagram sockets.</summary>
    UnixDatagram = 1 << 1,

    /// <summary>UDP sockets.</summary>
    Udp = 1 << 2,

    /// <summary>IPv6 (the suite also checks that ::1 is usable on the machine).</summary>
    Ipv6 = 1 << 3,

    /// <summary>SO_REUSEPORT listeners (<see cref="ListenOptions.ReusePort"/>).</summary>
    ReusePort = 1 << 4,

    /// <summary>
    /// User code runs on one loop thread: code between two awaits never runs concurrently with other user code of the
    /// backend. A loop backend running several loops (<c>Loops</c> greater than 1 in its options) does not declare it:
    /// each task still stays on the loop it started on, but connections served on different loops run in parallel, so
    /// state shared across connections needs the usual care.
    /// </summary>
    SingleThreadedLoop = 1 << 5,

    /// <summary>The backend accepts a caller-supplied <see cref="TimeProvider"/> (for example a manual test clock).</summary>
    VirtualTime = 1 << 6,

    /// <summary>Child processes with streamed stdio (<see cref="IAsyncBackend.OpenProcessAsync"/>).</summary>
    Subprocesses = 1 << 7,

    /// <summary>Receiving POSIX signals as an async stream (<see cref="IAsyncBackend.OpenSignalReceiver"/>).</summary>
    Signals = 1 << 8,

    /// <summary>Typed attributes of streams and listeners: raw handle, endpoints, Unix peer credentials, socket options.</summary>
    TypedAttributes = 1 << 9,

    /// <summary>Passing file descriptors over Unix stream sockets (SCM_RIGHTS).</summary>
    FdPassing = 1 << 10,

    /// <summary>Waiting for readiness of a descriptor the backend does not own (<c>WaitReadableAsync</c>/<c>WaitWritableAsync</c>).</summary>
    ForeignHandleReadiness = 1 << 11,

    /// <summary>
    /// The backend's sockets are the operating system's: they have file descriptors, carry socket options, and other
    /// processes and System.Net.Sockets can reach them. A simulated network lacks it.
    /// </summary>
    OperatingSystemSockets = 1 << 16,

    /// <summary>
    /// <see cref="IAsyncBackend.WaitAllTasksBlockedAsync"/>: the backend can tell when every task on its scheduler is
    /// waiting (a loop backend, or the simulation). A thread-pool backend cannot.
    /// </summary>
    WaitAllTasksBlocked = 1 << 20,
}
