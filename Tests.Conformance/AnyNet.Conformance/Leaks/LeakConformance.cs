using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Nothing leaks a descriptor or a child process: each test runs an area's operations (good and bad input) once to warm
/// up lazy runtime state, counts /proc/self/fd and this process's children, runs them again several times, and
/// counts again. The tests are in the <see cref="SerialCollection.Name"/> collection, which the runner must define
/// with parallelization disabled, so other tests' sockets do not move the counts.
/// </summary>
[Collection(SerialCollection.Name)]
public abstract partial class LeakConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private const int SettlePasses = 10;

    /// <summary>Runs <paramref name="round"/> once, then <paramref name="rounds"/> more times, and fails if descriptors or children grew.</summary>
    protected Task CheckNoLeakAsync(Func<IAsyncBackend, CancellationToken, Task> round, int rounds = 5) => RunAsync(async (backend, token) =>
    {
        await round(backend, token);
        IReadOnlyDictionary<int, string> before = OsResources.OpenDescriptors();
        int children = OsResources.ChildPids().Count;
        for (int i = 0; i < rounds; i++)
        {
            await round(backend, token);
        }

        Assert.Equal(children, OsResources.ChildPids().Count);
        IReadOnlyDictionary<int, string> after = OsResources.OpenDescriptors();
        for (int settle = 0; settle < SettlePasses && after.Count > before.Count; settle++)
        {
            // A backend may close on its loop after the operation returned (libuv closes a handle, and the duplicate
            // descriptor it watched, in a close callback one loop turn later), and a finalizer may still owe a close: give
            // both a turn before calling it a leak. A real leak survives every pass.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await backend.SleepAsync(TimeSpan.FromMilliseconds(1), token);
            after = OsResources.OpenDescriptors();
        }

        string[] added = [.. after.Where(pair => !before.TryGetValue(pair.Key, out string? target) || target != pair.Value).Select(pair => $"{pair.Key} -> {pair.Value}")];
        Assert.True(after.Count <= before.Count, $"{after.Count - before.Count} more descriptors after {rounds} rounds; new: {string.Join(", ", added)}");
    }, TimeSpan.FromSeconds(60));

    [SkippableFact]
    public virtual Task Processes_leak_no_descriptor_and_no_child()
    {
        RequireCapability(BackendCapabilities.Subprocesses, "child processes");
        return CheckNoLeakAsync(async (backend, token) =>
        {
            await backend.RunProcessAsync(new ProcessStartOptions("cat"), "x"u8.ToArray(), cancellationToken: token);
            await backend.RunProcessAsync("false", [], check: false, cancellationToken: token);
            await using (IAsyncProcess sleeper = await backend.OpenProcessAsync(new ProcessStartOptions("sleep", "30"), token))
            {
            }

            using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                Task run = backend.RunProcessAsync("sleep", ["30"], cancellationToken: cancel.Token);
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
            }

            await Assert.ThrowsAsync<FileNotFoundException>(async () => await backend.OpenProcessAsync(new ProcessStartOptions("/nonexistent/anynet-program"), token));
            await Assert.ThrowsAsync<DirectoryNotFoundException>(async () => await backend.OpenProcessAsync(new ProcessStartOptions("true") { WorkingDirectory = "/nonexistent/anynet-dir" }, token));
        });
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public virtual Task Signal_receivers_leak_no_descriptor()
    {
        RequireCapability(BackendCapabilities.Signals, "receiving POSIX signals");
        return CheckNoLeakAsync(async (backend, token) =>
        {
            await using (ISignalReceiver receiver = backend.OpenSignalReceiver(System.Runtime.InteropServices.PosixSignal.SIGWINCH))
            {
                SelfSignal.Send(SelfSignal.SIGWINCH);
                await receiver.ReceiveAsync(token);
            }

            Assert.Throws<ArgumentException>(() => backend.OpenSignalReceiver(System.Runtime.InteropServices.PosixSignal.SIGWINCH, (System.Runtime.InteropServices.PosixSignal)9));
        });
    }

    [SkippableFact]
    public virtual Task Files_leak_no_descriptor() => CheckNoLeakAsync(async (backend, token) =>
    {
        string path = Path.Combine(Path.GetTempPath(), "anynet-leak-" + Guid.NewGuid().ToString("N"));
        try
        {
            await AnyNet.IO.File.WriteAllBytesAsync(path, new byte[100], cancellationToken: token);
            await using (AnyNet.IO.AsyncFile file = await AnyNet.IO.File.OpenAsync(path, FileMode.Open, cancellationToken: token))
            {
                await file.ReceiveAsync(new byte[10], token);
            }

            await Assert.ThrowsAsync<UnauthorizedAccessException>(() => AnyNet.IO.File.OpenAsync(Path.GetTempPath(), FileMode.Open, cancellationToken: token));
            await Assert.ThrowsAsync<FileNotFoundException>(() => AnyNet.IO.File.OpenAsync(path + ".missing", FileMode.Open, cancellationToken: token));
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    });
}
