using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using AnyNet.Diagnostics;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Client-side tracing and metrics: a connect is one span with a child span per attempt, and its duration and failures
/// are measured with OpenTelemetry's tag names. Listeners are process-wide, so each test picks out its own records by
/// the port it connected to.
/// </summary>
public abstract class TelemetryConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task A_connect_is_a_span_with_an_attempt_span_and_a_duration_measurement() => RunAsync(async (backend, token) =>
    {
        using var spans = new SpanCapture();
        using var metrics = new ConnectMetricCapture();
        await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)listener.LocalEndPoint).Port;
        await using (ISocketStream client = await backend.ConnectTcpAsync("127.0.0.1", port, token))
        {
        }

        Activity connect = Assert.Single(spans.Stopped, a => a.OperationName == AnyNetTelemetry.ConnectActivity && Equals(a.GetTagItem(AnyNetTelemetry.ServerPortTag), port));
        Assert.Equal("127.0.0.1", connect.GetTagItem(AnyNetTelemetry.ServerAddressTag));
        Assert.Equal("tcp", connect.GetTagItem(AnyNetTelemetry.NetworkTransportTag));
        Assert.Equal(ActivityStatusCode.Unset, connect.Status);
        Activity attempt = Assert.Single(spans.Stopped, a => a.OperationName == AnyNetTelemetry.ConnectAttemptActivity && a.ParentSpanId == connect.SpanId);
        Assert.Equal("127.0.0.1", attempt.GetTagItem(AnyNetTelemetry.PeerAddressTag));
        Assert.Equal("ipv4", attempt.GetTagItem(AnyNetTelemetry.NetworkTypeTag));

        var duration = Assert.Single(metrics.Of(AnyNetTelemetry.ConnectDuration, port));
        Assert.True(duration.Value >= 0);
        Assert.False(duration.Tags.ContainsKey(AnyNetTelemetry.ErrorTypeTag));
        Assert.Empty(metrics.Of(AnyNetTelemetry.ConnectFailures, port));
    });

    [SkippableFact]
    public virtual Task A_refused_connect_marks_its_spans_failed_and_counts_a_failure_with_its_error_type() => RunAsync(async (backend, token) =>
    {
        using var spans = new SpanCapture();
        using var metrics = new ConnectMetricCapture();
        int port;
        await using (ISocketListener closed = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)closed.LocalEndPoint).Port;
        }

        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(async () => await backend.ConnectTcpAsync("127.0.0.1", port, token));

        Activity connect = Assert.Single(spans.Stopped, a => a.OperationName == AnyNetTelemetry.ConnectActivity && Equals(a.GetTagItem(AnyNetTelemetry.ServerPortTag), port));
        Assert.Equal(ActivityStatusCode.Error, connect.Status);
        Assert.Equal("connection_refused", connect.GetTagItem(AnyNetTelemetry.ErrorTypeTag));
        Activity attempt = Assert.Single(spans.Stopped, a => a.OperationName == AnyNetTelemetry.ConnectAttemptActivity && a.ParentSpanId == connect.SpanId);
        Assert.Equal(ActivityStatusCode.Error, attempt.Status);
        var failure = Assert.Single(metrics.Of(AnyNetTelemetry.ConnectFailures, port));
        Assert.Equal("connection_refused", failure.Tags[AnyNetTelemetry.ErrorTypeTag]);
        Assert.Single(metrics.Of(AnyNetTelemetry.ConnectDuration, port));
    });

    private sealed class SpanCapture : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<Activity> _stopped = new();

        public SpanCapture()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == AnyNetTelemetry.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _stopped.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IReadOnlyList<Activity> Stopped => [.. _stopped];

        public void Dispose() => _listener.Dispose();
    }

    private sealed class ConnectMetricCapture : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _records = new();

        public ConnectMetricCapture()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == AnyNetTelemetry.MeterName && instrument.Meter.Scope is null)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        public IReadOnlyList<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string instrument, int port) =>
            [.. _records.Where(r => r.Instrument == instrument && Equals(r.Tags.GetValueOrDefault(AnyNetTelemetry.ServerPortTag), port))];

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            _records.Enqueue((instrument.Name, value, map));
        }
    }
}
