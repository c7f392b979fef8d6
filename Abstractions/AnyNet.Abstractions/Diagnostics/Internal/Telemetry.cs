using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;

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

    public static bool ConnectMetricsEnabled => s_connectDuration.Enabled || s_connectFailures.Enabled;

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
