namespace AnyNet.Benchmarks.EchoServer;

/// <summary>Counters touched once per connection (never per message), printed when the server stops.</summary>
internal static class EchoStats
{
    private static long s_accepted;
    private static long s_failed;
    private static Exception? s_firstError;

    public static long Accepted => Interlocked.Read(ref s_accepted);

    public static long Failed => Interlocked.Read(ref s_failed);

    public static Exception? FirstError => Volatile.Read(ref s_firstError);

    public static void OnAccepted() => Interlocked.Increment(ref s_accepted);

    public static void OnFailed(Exception error)
    {
        Interlocked.Increment(ref s_failed);
        Interlocked.CompareExchange(ref s_firstError, error, null);
    }
}
