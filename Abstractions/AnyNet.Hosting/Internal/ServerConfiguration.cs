using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace AnyNet.Hosting.Internal;

/// <summary>
/// One server's section, <c>AnyNet:Servers:&lt;name&gt;</c>, read key by key (no reflection binding, so it stays AOT-safe)
/// and checked as it is read: the first bad value throws a <see cref="FormatException"/> naming its key and value.
/// </summary>
internal sealed class ServerConfiguration
{
    public const string ServersKey = "Servers";

    private static readonly string[] s_settings =
    [
        "Endpoints", "Endpoint", nameof(AnyNetServerOptions.MaxConnections), nameof(AnyNetServerOptions.DrainTimeout),
        nameof(AnyNetServerOptions.IdleTimeout), nameof(AnyNetServerOptions.Backlog), nameof(AnyNetServerOptions.ReusePort),
        nameof(AnyNetServerOptions.RemoveStaleUnixSocket),
    ];

    private ServerConfiguration(List<(string Key, string Value)> endpoints) => Endpoints = endpoints;

    public IReadOnlyList<(string Key, string Value)> Endpoints { get; }

    public int? MaxConnections { get; private set; }

    public TimeSpan? DrainTimeout { get; private set; }

    public TimeSpan? IdleTimeout { get; private set; }

    public int? Backlog { get; private set; }

    public bool? ReusePort { get; private set; }

    public bool? RemoveStaleUnixSocket { get; private set; }

    public static ServerConfiguration Read(IConfiguration configuration, string name, IEnumerable<string>? defaultEndpoints)
    {
        IConfigurationSection section = configuration.GetSection($"{AnyNetOptions.SectionName}:{ServersKey}:{name}");
        string path = section.Path;
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!s_settings.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new FormatException($"{child.Path} is not a server setting; the settings are {string.Join(", ", s_settings)}.");
            }
        }

        var endpoints = new List<(string Key, string Value)>();
        foreach (IConfigurationSection entry in section.GetSection("Endpoints").GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(entry.Value))
            {
                endpoints.Add((entry.Path, entry.Value));
            }
        }

        if (section["Endpoint"] is { Length: > 0 } single)
        {
            endpoints.Add(($"{path}:Endpoint", single));
        }

        if (endpoints.Count == 0 && defaultEndpoints is not null)
        {
            endpoints.AddRange(defaultEndpoints.Select((endpoint, i) => ($"{path}:Endpoints (default {i})", endpoint)));
        }

        if (endpoints.Count == 0)
        {
            throw new FormatException($"{path}:Endpoints lists no endpoint for the AnyNet server '{name}' (for example \"tcp:7000\"; accepted forms: {AnyNetEndPoint.AcceptedForms}).");
        }

        foreach ((string key, string value) in endpoints)
        {
            if (!AnyNetEndPoint.TryParse(value, out _))
            {
                throw new FormatException($"{key} is '{value}', which is not an endpoint; accepted forms: {AnyNetEndPoint.AcceptedForms}.");
            }
        }

        return new ServerConfiguration(endpoints)
        {
            MaxConnections = PositiveInt(section, nameof(AnyNetServerOptions.MaxConnections), "a connection limit must be a positive whole number (leave it out for no limit)"),
            Backlog = PositiveInt(section, nameof(AnyNetServerOptions.Backlog), "the backlog must be a positive whole number"),
            DrainTimeout = Duration(section, nameof(AnyNetServerOptions.DrainTimeout), allowZero: true),
            IdleTimeout = Duration(section, nameof(AnyNetServerOptions.IdleTimeout), allowZero: false),
            ReusePort = Flag(section, nameof(AnyNetServerOptions.ReusePort)),
            RemoveStaleUnixSocket = Flag(section, nameof(AnyNetServerOptions.RemoveStaleUnixSocket)),
        };
    }

    public void ApplyTo(AnyNetServerOptions options)
    {
        options.MaxConnections = MaxConnections ?? options.MaxConnections;
        options.DrainTimeout = DrainTimeout ?? options.DrainTimeout;
        options.IdleTimeout = IdleTimeout ?? options.IdleTimeout;
        options.Backlog = Backlog ?? options.Backlog;
        options.ReusePort = ReusePort ?? options.ReusePort;
        options.RemoveStaleUnixSocket = RemoveStaleUnixSocket ?? options.RemoveStaleUnixSocket;
    }

    private static int? PositiveInt(IConfigurationSection section, string key, string rule)
    {
        string? value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number) || number <= 0)
        {
            throw new FormatException($"{section.Path}:{key} is '{value}': {rule}.");
        }

        return number;
    }

    private static TimeSpan? Duration(IConfigurationSection section, string key, bool allowZero)
    {
        string? value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out TimeSpan span))
        {
            throw new FormatException($"{section.Path}:{key} is '{value}', which is not a time span (hh:mm:ss, for example 00:00:10).");
        }

        if (span < TimeSpan.Zero || (!allowZero && span == TimeSpan.Zero))
        {
            throw new FormatException($"{section.Path}:{key} is '{value}': it must be {(allowZero ? "zero or more" : "more than zero")}.");
        }

        return span;
    }

    private static bool? Flag(IConfigurationSection section, string key)
    {
        string? value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return bool.TryParse(value, out bool flag)
            ? flag
            : throw new FormatException($"{section.Path}:{key} is '{value}', which is not true or false.");
    }
}
