using System.Globalization;
using System.Text;

namespace AnyNet.Samples.MiniRedis;

/// <summary>What CONFIG GET and INFO report: enough for redis-cli and redis-benchmark, and true of this server.</summary>
internal sealed class RedisServerInfo(string backend, int port, TimeProvider time)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();

    public IEnumerable<(string Name, string Value)> ConfigValues()
    {
        // No persistence at all: the answers redis-benchmark looks for before it starts.
        yield return ("save", "");
        yield return ("appendonly", "no");
        yield return ("databases", "1");
        yield return ("maxmemory", "0");
        yield return ("port", port.ToString(CultureInfo.InvariantCulture));
    }

    public string Info(string? section, int keys)
    {
        var text = new StringBuilder();
        bool all = section is null || section.Equals("all", StringComparison.OrdinalIgnoreCase) || section.Equals("default", StringComparison.OrdinalIgnoreCase);
        if (all || section!.Equals("server", StringComparison.OrdinalIgnoreCase))
        {
            long uptime = (long)(time.GetUtcNow() - _started).TotalSeconds;
            text.Append("# Server\r\n")
                .Append("redis_version:7.0.0\r\n")
                .Append("redis_mode:standalone\r\n")
                .Append(CultureInfo.InvariantCulture, $"anynet_backend:{backend}\r\n")
                .Append(CultureInfo.InvariantCulture, $"process_id:{Environment.ProcessId}\r\n")
                .Append(CultureInfo.InvariantCulture, $"tcp_port:{port}\r\n")
                .Append(CultureInfo.InvariantCulture, $"uptime_in_seconds:{uptime}\r\n\r\n");
        }

        if (all || section!.Equals("replication", StringComparison.OrdinalIgnoreCase))
        {
            text.Append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n");
        }

        if (all || section!.Equals("keyspace", StringComparison.OrdinalIgnoreCase))
        {
            text.Append("# Keyspace\r\n");
            if (keys > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"db0:keys={keys},expires=0,avg_ttl=0\r\n");
            }
        }

        return text.ToString();
    }
}
