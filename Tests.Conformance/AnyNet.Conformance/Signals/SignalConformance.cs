using System.Runtime.InteropServices;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Receiving POSIX signals: a signal sent to the process reaches every receiver of it, enumeration ends on dispose,
/// and signals that cannot be received are refused by name. Only SIGWINCH and SIGCONT are sent: their default actions
/// do nothing to a running process, so a signal arriving when no receiver exists cannot kill the test host.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public abstract class SignalConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private void RequireSignals() => RequireCapability(BackendCapabilities.Signals, "receiving POSIX signals");

    [SkippableFact]
    public virtual async Task A_signal_sent_to_self_arrives_at_both_receivers()
    {
        RequireSignals();
        await RunAsync(async (backend, token) =>
        {
            await using ISignalReceiver first = backend.OpenSignalReceiver(PosixSignal.SIGWINCH);
            await using ISignalReceiver second = backend.OpenSignalReceiver(PosixSignal.SIGWINCH, PosixSignal.SIGCONT);
            SelfSignal.Send(SelfSignal.SIGWINCH);
            Assert.Equal(PosixSignal.SIGWINCH, await first.ReceiveAsync(token));
            Assert.Equal(PosixSignal.SIGWINCH, await ReceiveIgnoringAsync(second, PosixSignal.SIGCONT, token));

            SelfSignal.Send(SelfSignal.SIGCONT);
            Assert.Equal(PosixSignal.SIGCONT, await ReceiveIgnoringAsync(second, PosixSignal.SIGWINCH, token));
        });
    }

    [SkippableFact]
    public virtual async Task Enumerating_a_receiver_yields_signals_and_ends_when_it_is_disposed()
    {
        RequireSignals();
        await RunAsync(async (backend, token) =>
        {
            ISignalReceiver receiver = backend.OpenSignalReceiver(PosixSignal.SIGWINCH);
            var seen = new List<PosixSignal>();
            var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await TaskGroup.RunAsync(group =>
            {
                group.Start(async t =>
                {
                    await foreach (PosixSignal signal in receiver.WithCancellation(t))
                    {
                        seen.Add(signal);
                        first.TrySetResult();
                    }
                });
                group.Start(async t =>
                {
                    SelfSignal.Send(SelfSignal.SIGWINCH);
                    await first.Task.WaitAsync(t);
                    await receiver.DisposeAsync();
                });
                return Task.CompletedTask;
            }, token);
            Assert.NotEmpty(seen);
            Assert.All(seen, s => Assert.Equal(PosixSignal.SIGWINCH, s));
            await Assert.ThrowsAsync<ClosedResourceException>(async () => await receiver.ReceiveAsync(token));
        });
    }

    [SkippableFact]
    public virtual async Task A_waiting_receive_can_be_cancelled()
    {
        RequireSignals();
        await RunAsync(async (backend, token) =>
        {
            await using ISignalReceiver receiver = backend.OpenSignalReceiver(PosixSignal.SIGCONT);
            using var cancel = new CancellationTokenSource();
            ValueTask<PosixSignal> waiting = receiver.ReceiveAsync(cancel.Token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
        });
    }

    [SkippableFact]
    public virtual async Task Signals_that_cannot_be_received_are_refused_by_name()
    {
        RequireSignals();
        await RunAsync((backend, token) =>
        {
            var kill = Assert.Throws<ArgumentException>(() => backend.OpenSignalReceiver((PosixSignal)9));
            Assert.Contains("9", kill.Message, StringComparison.Ordinal);
            var stop = Assert.Throws<ArgumentException>(() => backend.OpenSignalReceiver(PosixSignal.SIGWINCH, (PosixSignal)19));
            Assert.Contains("19", stop.Message, StringComparison.Ordinal);
            var unknown = Assert.Throws<ArgumentException>(() => backend.OpenSignalReceiver((PosixSignal)1000));
            Assert.Contains("1000", unknown.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => backend.OpenSignalReceiver());
            return Task.CompletedTask;
        });
    }

    private static async Task<PosixSignal> ReceiveIgnoringAsync(ISignalReceiver receiver, PosixSignal ignored, CancellationToken token)
    {
        // Another test may send the other signal this receiver listens to; skip it (bounded).
        for (int i = 0; i < 100; i++)
        {
            PosixSignal signal = await receiver.ReceiveAsync(token);
            if (signal != ignored)
            {
                return signal;
            }
        }

        throw new InvalidOperationException("only ignored signals arrived");
    }
}
