using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AnyNet.Hosting;

namespace AnyNet.Conformance;

/// <summary>One recorded measurement of an AnyNet instrument.</summary>
internal sealed record MeasurementRecord(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);

/// <summary>
/// Records the measurements of the <c>AnyNet</c> meter of one container (the meter's scope is the container's
/// IMeterFactory), so tests running in parallel in one process do not see each other's numbers.
/// </summary>
internal sealed class MetricCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<MeasurementRecord> _records = new();

    public MetricCapture(object meterScope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AnyNetInstrumentation.MeterName && ReferenceEquals(instrument.Meter.Scope, meterScope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    public IReadOnlyList<MeasurementRecord> Of(string instrument) => [.. _records.Where(r => r.Instrument == instrument)];

    public double Sum(string instrument) => Of(instrument).Sum(r => r.Value);

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
