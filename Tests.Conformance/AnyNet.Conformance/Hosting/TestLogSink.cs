using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AnyNet.Conformance;

/// <summary>One captured log message.</summary>
internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception, IReadOnlyDictionary<string, object?> State);

/// <summary>Captures what a host logs, so tests can assert on it and wait for an event (instead of sleeping).</summary>
internal sealed class TestLogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly List<Waiter> _waiters = [];

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IEnumerable<LogEntry> WithEvent(int eventId) => _entries.Where(e => e.EventId.Id == eventId && e.Category.StartsWith("AnyNet.", StringComparison.Ordinal));

    /// <summary>Completes with the first AnyNet entry with <paramref name="eventId"/>, logged before or after the call.</summary>
    public async Task<LogEntry> WaitForAsync(int eventId, CancellationToken cancellationToken)
        => (await WaitForAsync(eventId, 1, cancellationToken))[0];

    /// <summary>Completes when <paramref name="count"/> AnyNet entries with <paramref name="eventId"/> have been logged.</summary>
    public Task<IReadOnlyList<LogEntry>> WaitForAsync(int eventId, int count, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(eventId, count);
        lock (_waiters)
        {
            _waiters.Add(waiter);
            waiter.Check(this);
        }

        return waiter.Done.Task.WaitAsync(cancellationToken);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        _entries.Enqueue(entry);
        lock (_waiters)
        {
            foreach (Waiter waiter in _waiters)
            {
                waiter.Check(this);
            }
        }
    }

    private sealed class Logger(TestLogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (KeyValuePair<string, object?> pair in pairs)
                {
                    values[pair.Key] = pair.Value;
                }
            }

            sink.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception, values));
        }
    }

    private sealed class Waiter(int eventId, int count)
    {
        public TaskCompletionSource<IReadOnlyList<LogEntry>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Check(TestLogSink sink)
        {
            List<LogEntry> matching = [.. sink.WithEvent(eventId)];
            if (matching.Count >= count)
            {
                Done.TrySetResult(matching);
            }
        }
    }
}
