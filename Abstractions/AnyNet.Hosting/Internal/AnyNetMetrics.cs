using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using AnyNet.Diagnostics.Internal;

namespace AnyNet.Hosting.Internal;

/// <summary>The <c>AnyNet</c> meter and its server instruments. One per container.</summary>
internal sealed class AnyNetMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public AnyNetMetrics(IMeterFactory? meterFactory)
    {
        // With a factory (every generic host has one) the meter is scoped to the container, so listeners can tell the
        // meters of two hosts in one process apart; the factory disposes it.
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(AnyNetInstrumentation.MeterName) ?? new Meter(AnyNetInstrumentation.MeterName);
        ActiveConnections = _meter.CreateUpDownCounter<long>(AnyNetInstrumentation.ActiveConnections, "{connection}", "Connections being served.");
        ConnectionDuration = _meter.CreateHistogram(
            AnyNetInstrumentation.ConnectionDuration,
            "s",
            "How long served connections lasted.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300] });
        BytesReceived = _meter.CreateCounter<long>(AnyNetInstrumentation.BytesReceived, "By", "Bytes received from clients.");
        BytesSent = _meter.CreateCounter<long>(AnyNetInstrumentation.BytesSent, "By", "Bytes sent to clients.");
        AcceptErrors = _meter.CreateCounter<long>(AnyNetInstrumentation.AcceptErrors, "{error}", "Failed accepts the server survived.");
        RejectedConnections = _meter.CreateCounter<long>(AnyNetInstrumentation.RejectedConnections, "{connection}", "Connections closed unserved at the connection limit.");
    }

    public UpDownCounter<long> ActiveConnections { get; }

    public Histogram<double> ConnectionDuration { get; }

    public Counter<long> BytesReceived { get; }

    public Counter<long> BytesSent { get; }

    public Counter<long> AcceptErrors { get; }

    public Counter<long> RejectedConnections { get; }

    /// <summary>The tags of every instrument of one server: its bound endpoint in OpenTelemetry's terms, and the backend.</summary>
    public static TagList Tags(string backend, EndPoint localEndPoint)
    {
        var tags = default(TagList);
        Telemetry.AddEndPointTags(ref tags, localEndPoint);
        tags.Add(AnyNetInstrumentation.BackendTag, backend);
        return tags;
    }

    public static TagList WithError(TagList tags, Exception error)
    {
        tags.Add(AnyNetInstrumentation.ErrorTypeTag, Telemetry.ErrorType(error));
        return tags;
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
