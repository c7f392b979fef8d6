namespace AnyNet.Benchmarks.Matrix;

/// <summary>One server x connections x size measurement.</summary>
internal sealed record CellResult(string Server, int Connections, int Size)
{
    public double MessagesPerSecond { get; init; }

    public double MegabytesPerSecond { get; init; }

    public double P50Microseconds { get; init; }

    public double P99Microseconds { get; init; }

    public long Errors { get; init; }

    public int Connected { get; init; }

    public double ClientCpu { get; init; }

    public double ServerCpu { get; init; }

    /// <summary>
    /// Messages per second of server CPU (msgs/s divided by the server's CPU fraction): the fairest figure when the
    /// load generator, not the server, may be the limit.
    /// </summary>
    public double MessagesPerServerCpuSecond => ServerCpu > 0 ? MessagesPerSecond / ServerCpu : double.NaN;

    /// <summary>Set when the cell could not be measured.</summary>
    public string? Failure { get; init; }

    /// <summary>The load generator used at least as much CPU as the server: the figure may be the generator's limit.</summary>
    public bool ClientBound => Failure is null && ClientCpu >= 0.9 && ClientCpu >= ServerCpu - 0.02;
}

/// <summary>What was measured per server outside the throughput cells.</summary>
internal sealed record ServerSummary(string Server)
{
    public string? SkipReason { get; init; }

    public long PeakRssBytes { get; init; }

    public double ChurnPerSecond { get; init; }

    public long ChurnErrors { get; init; }

    public double ChurnServerCpu { get; init; }

    public double ChurnClientCpu { get; init; }

    public int IdleConnections { get; init; }

    public double IdleRssBytesPerConnection { get; init; } = double.NaN;

    public double IdleManagedBytesPerConnection { get; init; } = double.NaN;

    public string? Notes { get; set; }
}
