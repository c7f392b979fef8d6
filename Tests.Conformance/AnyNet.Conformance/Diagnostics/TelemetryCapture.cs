using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AnyNet.Diagnostics;

namespace AnyNet.Conformance;

/// <summary>Records every span of the <c>AnyNet</c> ActivitySource (process-wide: pick a test's own spans out by its port).</summary>
internal sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public SpanRecorder()
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

    public IReadOnlyList<Activity> Named(string operationName, int port) =>
        [.. _stopped.Where(a => a.OperationName == operationName && Equals(a.GetTagItem(AnyNetTelemetry.ServerPortTag), port))];

    public void Dispose() => _listener.Dispose();
}

/// <summary>Records the measurements of the process-wide <c>AnyNet</c> meter (the one without a scope: client and TLS instruments).</summary>
internal sealed class ProcessMetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<MeasurementRecord> _records = new();

    public ProcessMetricRecorder()
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

    public IReadOnlyList<MeasurementRecord> Of(string instrument, int port) =>
        [.. _records.Where(r => r.Instrument == instrument && Equals(r.Tags.GetValueOrDefault(AnyNetTelemetry.ServerPortTag), port))];

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            map[tag.Key] = tag.Value;
        }

        _records.Enqueue(new MeasurementRecord(instrument.Name, value, map));
    }
}
