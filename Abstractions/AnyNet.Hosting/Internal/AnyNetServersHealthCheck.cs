using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AnyNet.Hosting.Internal;

/// <summary>
/// The health of every hosted server, read from state the servers keep anyway (no probe connection): a health check
/// must answer quickly and must not itself use the descriptors or connection slots whose exhaustion it reports.
/// </summary>
internal sealed class AnyNetServersHealthCheck(IEnumerable<AnyNetServer> servers) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        HealthStatus failureStatus = context?.Registration?.FailureStatus ?? HealthStatus.Unhealthy;
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var notListening = new List<string>();
        var backingOff = new List<string>();
        int count = 0;
        foreach (AnyNetServer server in servers)
        {
            count++;
            string endPoint = (server.LocalEndPoint ?? server.EndPoint).ToString();
            string state;
            if (!server.IsListening)
            {
                state = "not listening";
                notListening.Add(endPoint);
            }
            else if (server.IsBackingOff)
            {
                state = "backing off after failed accepts";
                backingOff.Add(endPoint);
            }
            else
            {
                state = "listening";
            }

            // Two servers may share a configured endpoint string (tcp:0 twice): keep both entries.
            string key = data.ContainsKey(endPoint) ? $"{endPoint} ({count})" : endPoint;
            data[key] = $"{state}, {server.ActiveConnections} open connections";
        }

        HealthCheckResult result;
        if (notListening.Count > 0)
        {
            result = new HealthCheckResult(failureStatus, $"AnyNet servers not listening: {string.Join(", ", notListening)}.", data: data);
        }
        else if (backingOff.Count > 0)
        {
            result = HealthCheckResult.Degraded($"AnyNet servers backing off after failed accepts: {string.Join(", ", backingOff)}.", data: data);
        }
        else
        {
            result = HealthCheckResult.Healthy(count == 0 ? "No AnyNet server is registered." : $"{count} AnyNet servers listening.", data);
        }

        return Task.FromResult(result);
    }
}
