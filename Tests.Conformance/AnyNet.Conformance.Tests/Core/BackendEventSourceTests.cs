using System.Diagnostics.Tracing;
using AnyNet.Backends;
using Xunit;

namespace AnyNet.Conformance.Tests.Core;

public sealed class BackendEventSourceTests
{
    [Fact]
    public void An_accept_backoff_reaches_a_listener_with_its_backend_endpoint_and_errno()
    {
        using var listener = new CapturingListener();
        BackendEventSource.Log.AcceptBackoff("test", "127.0.0.1:7000", 24, 100);
        EventWrittenEventArgs written = Assert.Single(listener.Events, e => e.EventName == nameof(BackendEventSource.AcceptBackoff) && (string?)e.Payload![0] == "test");
        Assert.Equal(EventLevel.Warning, written.Level);
        Assert.Equal(new object[] { "test", "127.0.0.1:7000", 24, 100 }, written.Payload!.ToArray());
    }

    private sealed class CapturingListener : EventListener
    {
        public List<EventWrittenEventArgs> Events { get; } = [];

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "AnyNet-Backends")
            {
                EnableEvents(eventSource, EventLevel.Warning);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            lock (Events)
            {
                Events.Add(eventData);
            }
        }
    }
}
