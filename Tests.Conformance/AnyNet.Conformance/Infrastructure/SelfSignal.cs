using System.Runtime.InteropServices;

namespace AnyNet.Conformance;

/// <summary>Sends a signal to the test process itself (kill(2) on getpid()).</summary>
public static partial class SelfSignal
{
    /// <summary>SIGWINCH on Linux: its default action is to ignore it, so a stray one can never kill the test host.</summary>
    public const int SIGWINCH = 28;

    /// <summary>SIGCONT on Linux: its default action is to continue a process, which does nothing to a running one.</summary>
    public const int SIGCONT = 18;

    /// <summary>Sends <paramref name="signal"/> to this process.</summary>
    public static void Send(int signal)
    {
        if (Kill(Environment.ProcessId, signal) != 0)
        {
            throw new InvalidOperationException($"kill({Environment.ProcessId}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
