using System.Diagnostics;
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
        using var spans = new SpanRecorder();
        using var metrics = new ProcessMetricRecorder();
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
        using var spans = new SpanRecorder();
        using var metrics = new ProcessMetricRecorder();
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
}
