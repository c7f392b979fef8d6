using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace AnyNet.Diagnostics.Internal;

/// <summary>The process-wide source and meter behind <see cref="AnyNetTelemetry"/>'s names.</summary>
internal static class Telemetry
{
    public static readonly ActivitySource Source = new(AnyNetTelemetry.ActivitySourceName);

    private static readonly Meter s_meter = new(AnyNetTelemetry.MeterName);

    private static readonly Histogram<double> s_connectDuration = s_meter.CreateHistogram<double>(
        AnyNetTelemetry.ConnectDuration, unit: "s", description: "How long a client connect took.");

    private static readonly Counter<long> s_connectFailures = s_meter.CreateCounter<long>(
        AnyNetTelemetry.ConnectFailures, unit: "{connect}", description: "Client connects that failed.");

    private static readonly Histogram<double> s_tlsHandshakeDuration = s_meter.CreateHistogram(
        AnyNetTelemetry.TlsHandshakeDuration,
        "s",
        "How long TLS handshakes took.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10] });

    public static bool ConnectMetricsEnabled => s_connectDuration.Enabled || s_connectFailures.Enabled;

    public static bool TlsMetricsEnabled => s_tlsHandshakeDuration.Enabled;

    /// <summary>
    /// Adds <c>server.address</c>, <c>server.port</c>, <c>network.transport</c> and <c>network.type</c> for
    /// <paramref name="endPoint"/>: an IP endpoint is TCP with its address and port, a Unix endpoint is <c>unix</c>
    /// with its path as the address (what the OpenTelemetry conventions ask for a Unix domain socket).
    /// </summary>
    /// <param name="tags">The tags to add to.</param>
    /// <param name="endPoint">The server's endpoint (null adds only <paramref name="address"/>, if given).</param>
    /// <param name="address">Overrides the address (a client's host name rather than the address it reached).</param>
    public static void AddEndPointTags(ref TagList tags, EndPoint? endPoint, string? address = null)
    {
        switch (endPoint)
        {
            case IPEndPoint ip:
                IPAddress plain = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address;
                tags.Add(AnyNetTelemetry.ServerAddressTag, address ?? plain.ToString());
                tags.Add(AnyNetTelemetry.ServerPortTag, ip.Port);
                tags.Add(AnyNetTelemetry.NetworkTransportTag, "tcp");
                tags.Add(AnyNetTelemetry.NetworkTypeTag, NetworkType(plain));
                break;
            case UnixDomainSocketEndPoint unix:
                tags.Add(AnyNetTelemetry.ServerAddressTag, address ?? unix.ToString());
                tags.Add(AnyNetTelemetry.NetworkTransportTag, "unix");
                break;
            default:
                if (address is not null)
                {
                    tags.Add(AnyNetTelemetry.ServerAddressTag, address);
                }

                break;
        }
    }

    /// <summary>The same tags as <see cref="AddEndPointTags"/>, set on a span.</summary>
    public static void SetEndPointTags(Activity activity, EndPoint? endPoint, string? address = null)
    {
        var tags = default(TagList);
        AddEndPointTags(ref tags, endPoint, address);
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            activity.SetTag(tag.Key, tag.Value);
        }
    }

    /// <summary><c>1.2</c> for <see cref="SslProtocols.Tls12"/> and so on, as <c>tls.protocol.version</c> wants it.</summary>
    public static string TlsVersion(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "1.3",
        SslProtocols.Tls12 => "1.2",
        _ => protocol.ToString(),
    };

    /// <summary>Records one TLS handshake's duration; <paramref name="startTimestamp"/> 0 means nothing listened when it began.</summary>
    public static void RecordTlsHandshake(long startTimestamp, bool isServer, EndPoint? endPoint, string? address, SslProtocols protocol, Exception? error)
    {
        if (startTimestamp == 0 || !s_tlsHandshakeDuration.Enabled)
        {
            return;
        }

        var tags = new TagList { { AnyNetTelemetry.TlsRoleTag, isServer ? "server" : "client" } };
        AddEndPointTags(ref tags, endPoint, address);
        if (error is null)
        {
            tags.Add(AnyNetTelemetry.TlsProtocolVersionTag, TlsVersion(protocol));
        }
        else
        {
            tags.Add(AnyNetTelemetry.ErrorTypeTag, ErrorType(error));
        }

        s_tlsHandshakeDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
    }

    public static string NetworkType(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";

    /// <summary>A stable, low-cardinality name for a failure: the socket error in snake case, else the exception type.</summary>
    public static string ErrorType(Exception error) => error switch
    {
        SocketException socket => SnakeCase(socket.SocketErrorCode.ToString()),
        OperationCanceledException => "cancelled",
        _ => error.GetType().FullName ?? error.GetType().Name,
    };

    public static void RecordConnect(string host, int port, long startTimestamp, Exception? error)
    {
        // 0: nothing listened when the connect began, so there is no start time to measure from.
        if (startTimestamp == 0 || !ConnectMetricsEnabled)
        {
            return;
        }

        var tags = new TagList
        {
            { AnyNetTelemetry.ServerAddressTag, host },
            { AnyNetTelemetry.ServerPortTag, port },
            { AnyNetTelemetry.NetworkTransportTag, "tcp" },
        };
        if (error is not null)
        {
            tags.Add(AnyNetTelemetry.ErrorTypeTag, ErrorType(error));
            s_connectFailures.Add(1, tags);
        }

        s_connectDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
    }

    /// <summary>Marks <paramref name="activity"/> failed with the error's type, as the OpenTelemetry conventions ask.</summary>
    public static void Fail(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        string type = ErrorType(error);
        activity.SetTag(AnyNetTelemetry.ErrorTypeTag, type);
        activity.SetStatus(ActivityStatusCode.Error, error.Message);
    }

    private static string SnakeCase(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }
}
