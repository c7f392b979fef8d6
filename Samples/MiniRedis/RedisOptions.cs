namespace AnyNet.Samples.MiniRedis;

/// <summary>Server settings: the command-line options of the sample.</summary>
internal sealed record RedisOptions
{
    /// <summary>The largest bulk string accepted (Redis's proto-max-bulk-len; 512 MB there, 64 MiB here).</summary>
    public int MaxBulkLength { get; init; } = 64 * 1024 * 1024;

    /// <summary>How often expired keys nobody touches are swept (Redis: hz 10, i.e. every 100 ms).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}
