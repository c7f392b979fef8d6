using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace AnyNet.Backends;

/// <summary>
/// A signal receiver on the .NET runtime's own signal handling (<see cref="PosixSignalRegistration"/>): the runtime's
/// handler writes the signal number to a pipe, its signal thread reads it and calls each registration, and the
/// receiver hands the signal to its reader, who resumes on its own context (the loop thread on a loop backend).
/// </summary>
/// <remarks>
/// <para>
/// Why every built-in backend uses this rather than signalfd(2) or uv_signal_t: the runtime installs sigaction handlers
/// for SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGCONT, SIGWINCH, SIGTTIN, SIGTTOU and SIGTSTP at start-up and creates
/// threads (finalizer, thread pool, its signal thread) before any user code runs. signalfd only sees a signal that is
/// blocked in every thread (signalfd(2): "the set of signals to be received via the file descriptor should be blocked
/// using sigprocmask(2)"), and sigprocmask changes only the calling thread's mask, so a thread that has not blocked it
/// takes the signal in the runtime's handler and the signalfd never reads it; blocking SIGCHLD everywhere would also
/// break System.Diagnostics.Process. uv_signal_t installs libuv's own sigaction handler, which replaces the runtime's
/// (Console.CancelKeyPress, the generic host's SIGTERM shutdown and Process's SIGCHLD stop working while it is
/// installed) and resets the signal to SIG_DFL when the last uv_signal_t stops, so a later SIGTERM or SIGINT kills the
/// process outright. The runtime's registration is process-wide, chains with every other registration, and undoes
/// itself when disposed.
/// </para>
/// <para>While a receiver exists, the signal's default action (terminating on SIGTERM, SIGINT, SIGQUIT, SIGHUP...) is cancelled.</para>
/// </remarks>
public sealed class RuntimeSignalReceiver : ISignalReceiver
{
    private readonly Channel<PosixSignal> _signals = Channel.CreateUnbounded<PosixSignal>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _disposed;

    /// <summary>Registers for <paramref name="signals"/>.</summary>
    /// <exception cref="ArgumentException">No signal, or a signal the runtime cannot register (unknown, SIGKILL, SIGSTOP...).</exception>
    /// <exception cref="PlatformNotSupportedException">The OS has no POSIX signals.</exception>
    public RuntimeSignalReceiver(params PosixSignal[] signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (signals.Length == 0)
        {
            throw new ArgumentException("At least one signal is needed.", nameof(signals));
        }

        try
        {
            foreach (PosixSignal signal in signals.Distinct())
            {
                if (!CanBeCaught(signal))
                {
                    throw new ArgumentException($"The signal {Describe(signal)} is not a signal that can be received (SIGKILL and SIGSTOP cannot be caught; raw numbers must be 1-64).", nameof(signals));
                }

                try
                {
                    _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
                }
                catch (Exception error) when (error is ArgumentException or IOException or System.ComponentModel.Win32Exception)
                {
                    throw new ArgumentException($"The signal {Describe(signal)} cannot be received: {error.Message}", nameof(signals), error);
                }
            }
        }
        catch
        {
            DisposeRegistrations();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<PosixSignal> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _signals.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new ClosedResourceException("This signal receiver was disposed.");
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerator<PosixSignal> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        while (await _signals.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_signals.Reader.TryRead(out PosixSignal signal))
            {
                yield return signal;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            DisposeRegistrations();
            _signals.Writer.TryComplete();
        }

        return ValueTask.CompletedTask;
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Handled: the default action (termination for SIGTERM/SIGINT...) does not run while someone listens.
        context.Cancel = true;
        _signals.Writer.TryWrite(context.Signal);
    }

    private void DisposeRegistrations()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _registrations.Clear();
    }

    // Raw numbers are allowed on Unix (SIGUSR1 is (PosixSignal)10 on Linux); SIGKILL and SIGSTOP can never be caught.
    private static bool CanBeCaught(PosixSignal signal) =>
        (int)signal is not (9 or 19 or 0) and <= 64 and >= -10; // -10 is PosixSignal.SIGTSTP, the lowest named value

    private static string Describe(PosixSignal signal) => Enum.IsDefined(signal) ? signal.ToString() : $"number {(int)signal}";
}
