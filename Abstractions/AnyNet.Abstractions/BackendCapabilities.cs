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

    /// <summary>User code runs on one loop thread: code between two awaits never runs concurrently with other user code of the backend.</summary>
    SingleThreadedLoop = 1 << 5,

    /// <summary>The backend accepts a caller-supplied <see cref="TimeProvider"/> (for example a manual test clock).</summary>
    VirtualTime = 1 << 6,

    /// <summary>
    /// The backend's sockets are the operating system's: they have file descriptors, carry socket options, and other
    /// processes and System.Net.Sockets can reach them. A simulated network lacks it.
    /// </summary>
    OperatingSystemSockets = 1 << 16,
}
