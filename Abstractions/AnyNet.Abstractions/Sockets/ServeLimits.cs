using System.Runtime.InteropServices;

namespace AnyNet;

/// <summary>
/// The process-wide limit on connections served at once by <see cref="AsyncBackendExtensions.ServeAsync{TStream}"/> (and
/// so by every hosted server). At the limit, servers stop accepting: new connections wait in the kernel's listen backlog
/// until a served connection ends, instead of the process running out of file descriptors.
/// </summary>
/// <remarks>
/// Running out of descriptors hurts more than the failed accept: the .NET runtime itself needs descriptors to start a
/// thread, and a process at its limit can abort with "Out of memory" while growing the thread pool. So the default,
/// computed when the first server starts, is what <c>RLIMIT_NOFILE</c> (getrlimit(2)) leaves after the descriptors
/// already open, minus headroom for the runtime, logging, files and outgoing connections (an eighth of the limit, at
/// least 64 descriptors). Descriptors are per process, so the limit is
/// shared by every server and backend in the process. Raise <see cref="Connections"/>' <c>TotalTokens</c> (or the
/// process's <c>ulimit -n</c>) to serve more.
/// <para>
/// The soft limit can change while the process runs (prlimit(1) on it, or its own setrlimit(2)). <c>ServeAsync</c>
/// reads it again before each accept (one getrlimit(2) call) and, when it changed, derives the limit again from the
/// descriptors that were open at the start, so a lowered limit makes servers accept less instead of running the
/// process out of descriptors. A <c>TotalTokens</c> set by the application is its own choice and is left alone.
/// </para>
/// </remarks>
public static partial class ServeLimits
{
    private const int RlimitNofile = 7;       // RLIMIT_NOFILE on Linux (x86-64 and arm64)
    private const int MinimumHeadroom = 64;

    private static readonly Lock s_gate = new();

    // What the default was derived from, and the value derived last (to tell it from a TotalTokens the application set).
    // s_softLimit is 0 where the limit cannot be read (not Linux): then nothing is ever derived again.
    private static int s_openAtStart;
    private static ulong s_softLimit;
    private static int s_derived;

    /// <summary>The limit derived from the process's soft <c>RLIMIT_NOFILE</c> when first read (int.MaxValue when there is none).</summary>
    public static int DefaultMaxConnections { get; } = ComputeDefault();

    /// <summary>
    /// The limiter every <c>ServeAsync</c> takes one token from per connection, from before its accept until the
    /// connection is closed. Starts with <see cref="DefaultMaxConnections"/> tokens; set <c>TotalTokens</c> to change it.
    /// </summary>
    public static CapacityLimiter Connections { get; } = new(DefaultMaxConnections);

    /// <summary>
    /// The connection limit for a soft <c>RLIMIT_NOFILE</c> of <paramref name="softLimit"/> when <paramref name="openNow"/>
    /// descriptors are already open: what is left, minus headroom of an eighth of the limit (at least 64).
    /// </summary>
    /// <param name="softLimit">A soft <c>RLIMIT_NOFILE</c>.</param>
    /// <param name="openNow">Descriptors the process already holds (a generic host holds 100 or more: files, watchers, pipes).</param>
    /// <returns>The connection limit (at least 1).</returns>
    public static int ForDescriptorLimit(long softLimit, int openNow)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(softLimit);
        ArgumentOutOfRangeException.ThrowIfNegative(openNow);
        long headroom = Math.Max(MinimumHeadroom, softLimit / 8);
        return (int)Math.Clamp(softLimit - openNow - headroom, 1, int.MaxValue);
    }

    /// <summary>
    /// Reads the soft <c>RLIMIT_NOFILE</c> again and, if it changed since it was last read, derives the limit again
    /// (see the remarks). <c>ServeAsync</c> calls it before each accept; it costs one getrlimit(2) call.
    /// </summary>
    internal static void Refresh()
    {
        ulong seen = Volatile.Read(ref s_softLimit);
        if (seen == 0 || !TryReadSoftLimit(out ulong soft) || soft == seen)
        {
            return;
        }

        lock (s_gate)
        {
            if (soft == s_softLimit)
            {
                return;
            }

            int derived = Derive(soft, s_openAtStart);
            if (Connections.TotalTokens == s_derived)
            {
                Connections.TotalTokens = derived;
            }

            s_derived = derived;
            Volatile.Write(ref s_softLimit, soft);
        }
    }

    private static int Derive(ulong softLimit, int openNow) =>
        softLimit >= long.MaxValue ? int.MaxValue : ForDescriptorLimit((long)softLimit, openNow);

    private static bool TryReadSoftLimit(out ulong soft)
    {
        soft = 0;
        try
        {
            if (GetRLimit(RlimitNofile, out RLimit limit) != 0)
            {
                return false;
            }

            // RLIM_INFINITY is ulong.MaxValue; 0 is reserved here for "cannot be read".
            soft = Math.Max(limit.Current, 1);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static int CountOpenDescriptors()
    {
        try
        {
            return Directory.GetFileSystemEntries("/proc/self/fd").Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static int ComputeDefault()
    {
        if (!OperatingSystem.IsLinux() || !TryReadSoftLimit(out ulong soft))
        {
            return int.MaxValue;
        }

        s_openAtStart = CountOpenDescriptors();
        s_derived = Derive(soft, s_openAtStart);
        s_softLimit = soft;
        return s_derived;
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
