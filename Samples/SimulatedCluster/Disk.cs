namespace AnyNet.Samples.SimulatedCluster;

/// <summary>A node's durable storage: it survives a crash of the node's programs (the simulation keeps it outside the host).</summary>
public sealed class Disk
{
    private readonly Dictionary<string, string> _data = [];

    public void Write(string key, string value) => _data[key] = value;

    public bool Contains(string key, string value) => _data.TryGetValue(key, out string? stored) && stored == value;
}
