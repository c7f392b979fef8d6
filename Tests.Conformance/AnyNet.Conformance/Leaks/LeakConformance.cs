using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Nothing leaks a descriptor or a child process: each test runs an area's operations (good and bad input) once to warm
/// up lazy runtime state, counts /proc/self/fd and this process's children, runs them again several times, and
/// counts again. The tests are in the <see cref="SerialCollection.Name"/> collection, which the runner must define
/// with parallelization disabled, so other tests' sockets do not move the counts.
/// </summary>
[Collection(SerialCollection.Name)]
public abstract class LeakConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <summary>Runs <paramref name="round"/> once, then <paramref name="rounds"/> more times, and fails if descriptors or children grew.</summary>
    protected Task CheckNoLeakAsync(Func<IAsyncBackend, CancellationToken, Task> round, int rounds = 5) => RunAsync(async (backend, token) =>
    {
        await round(backend, token);
        int descriptors = OsResources.OpenDescriptorCount();
        int children = OsResources.ChildPids().Count;
        for (int i = 0; i < rounds; i++)
        {
            await round(backend, token);
        }

        Assert.Equal(children, OsResources.ChildPids().Count);
        Assert.Equal(descriptors, OsResources.OpenDescriptorCount());
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
}
