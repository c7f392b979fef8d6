using AnyNet.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AnyNet.Hosting;

/// <summary>Adds AnyNet's hosted servers to <c>services.AddHealthChecks()</c>.</summary>
public static class AnyNetHealthChecksBuilderExtensions
{
    /// <summary>The default name of the check: <c>anynet</c>.</summary>
    public const string DefaultName = "anynet";

    /// <summary>
    /// Adds one check over every hosted server registered with <c>AddAnyNetServer</c>: <see cref="HealthStatus.Healthy"/>
    /// when each one listens and accepts; <see cref="HealthStatus.Degraded"/> when one listens but backs off after failed
    /// accepts (out of file descriptors: new connections wait in the backlog); <paramref name="failureStatus"/> when one
    /// does not listen (not started yet, failed to bind, stopping or stopped). The check never throws; its data lists
    /// each server's endpoint, state and open connections.
    /// </summary>
    /// <param name="builder">The health checks builder from <c>AddHealthChecks()</c>.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">What a server that does not listen reports; null: <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for example <c>ready</c> or <c>live</c> probes).</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddAnyNetServers(this IHealthChecksBuilder builder, string name = DefaultName, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            static services => new AnyNetServersHealthCheck(services.GetServices<AnyNetServer>()),
            failureStatus,
            tags));
    }
}
