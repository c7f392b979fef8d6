using System.Runtime.InteropServices;

namespace AnyNet;

/// <summary>
/// The process-wide limit on connections served at once by <see cref="AsyncBackendExtensions.ServeAsync{TStream}"/> (and
/// so by every hosted server). At the limit, servers stop accepting: new connections wait in the kernel's listen backlog
/// until a served connection ends, instead of the process running out of file descriptors.
/// </summary>
/// <remarks>
/// Running out of descriptors hurts more than the failed accept: the .NET runtime itself needs descriptors to start a
/// thread, and a process at its limit can abort with "Out of memory" while growing the thread pool. So the default
/// leaves headroom below <c>RLIMIT_NOFILE</c> (getrlimit(2)) for the runtime, logging, files and outgoing connections:
/// the soft limit minus an eighth of it, and at least 64 descriptors. Descriptors are per process, so the limit is
/// shared by every server and backend in the process. Raise <see cref="Connections"/>' <c>TotalTokens</c> (or the
/// process's <c>ulimit -n</c>) to serve more.
/// </remarks>
public static partial class ServeLimits
{
    private const int RlimitNofile = 7;       // RLIMIT_NOFILE on Linux (x86-64 and arm64)
    private const int MinimumHeadroom = 64;

    /// <summary>The limit derived from the process's soft <c>RLIMIT_NOFILE</c> when the process started (int.MaxValue when there is none).</summary>
    public static int DefaultMaxConnections { get; } = ComputeDefault();

    /// <summary>
    /// The limiter every <c>ServeAsync</c> takes one token from per connection, from before its accept until the
    /// connection is closed. Starts with <see cref="DefaultMaxConnections"/> tokens; set <c>TotalTokens</c> to change it.
    /// </summary>
    public static CapacityLimiter Connections { get; } = new(DefaultMaxConnections);

    /// <summary>The descriptor headroom left for <paramref name="softLimit"/>: an eighth of it, at least 64.</summary>
    /// <param name="softLimit">A soft <c>RLIMIT_NOFILE</c>.</param>
    /// <returns>The connection limit for that descriptor limit (at least 1).</returns>
    public static int ForDescriptorLimit(long softLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(softLimit);
        long headroom = Math.Max(MinimumHeadroom, softLimit / 8);
        return (int)Math.Clamp(softLimit - headroom, 1, int.MaxValue);
    }

    private static int ComputeDefault()
    {
        if (!OperatingSystem.IsLinux())
        {
            return int.MaxValue;
        }

        try
        {
            if (GetRLimit(RlimitNofile, out RLimit limit) != 0 || limit.Current == ulong.MaxValue)
            {
                return int.MaxValue;
            }

            return ForDescriptorLimit((long)Math.Min(limit.Current, long.MaxValue));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return int.MaxValue;
        }
    }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
