namespace AnyNet.Conformance;

/// <summary>
/// Runs a test body on a backend under a hard limit. Shared by conformance tests and <see cref="AnyNetBackends.RunAsync"/>,
/// so an application's tests fail on a hang exactly as the suite's do.
/// </summary>
internal static class BackendRunner
{
    public static async Task RunWithTimeoutAsync(IAsyncBackend backend, Func<IAsyncBackend, CancellationToken, Task> body, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(body);
        using var cancellation = new CancellationTokenSource();
        Task run = backend.RunAsync(token => body(backend, token), cancellation.Token);
        try
        {
            await run.WaitAsync(limit);
        }
        catch (TimeoutException) when (!run.IsCompleted)
        {
            // Cancel the body so that disposing the backend does not wait for a hung test forever.
            await cancellation.CancelAsync();
            throw new TimeoutException($"The test body did not finish within {limit} on the '{backend.Name}' backend.");
        }
    }
}
