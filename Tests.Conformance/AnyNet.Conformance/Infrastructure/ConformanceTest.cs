using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The base of every conformance area: runs each test body on a fresh backend under a hard timeout, and skips, with the
/// reason, what the backend declares it cannot do.
/// </summary>
/// <typeparam name="TFixture">The backend author's fixture.</typeparam>
public abstract class ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <summary>The hard limit for one test body unless the test asks for another.</summary>
    protected static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The fixture that makes backends.</summary>
    protected TFixture Fixture { get; } = new();

    /// <summary>Creates a backend, runs <paramref name="body"/> on it, disposes it. Fails the test if the body exceeds <paramref name="timeout"/>.</summary>
    protected async Task RunAsync(Func<IAsyncBackend, CancellationToken, Task> body, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        IAsyncBackend backend = Fixture.CreateBackend();
        try
        {
            await RunOnAsync(backend, body, timeout);
        }
        finally
        {
            await DisposeWithinAsync(backend, DefaultTimeout);
        }
    }

    /// <summary>Disposes <paramref name="backend"/>, failing the test instead of hanging if disposal does not finish in time.</summary>
    protected static async Task DisposeWithinAsync(IAsyncBackend backend, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(backend);
        try
        {
            await backend.DisposeAsync().AsTask().WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Disposing the '{backend.Name}' backend did not finish within {limit}.");
        }
    }

    /// <summary>Runs <paramref name="body"/> on an existing backend under the hard timeout.</summary>
    protected static Task RunOnAsync(IAsyncBackend backend, Func<IAsyncBackend, CancellationToken, Task> body, TimeSpan? timeout = null) =>
        BackendRunner.RunWithTimeoutAsync(backend, body, timeout ?? DefaultTimeout);

    /// <summary>Skips the test, naming the missing capability and <paramref name="why"/>, unless the backend has <paramref name="capability"/>.</summary>
    protected void RequireCapability(BackendCapabilities capability, string why)
    {
        using IAsyncBackend backend = Fixture.CreateBackend();
        Skip.IfNot(backend.Capabilities.HasFlag(capability), $"skipped: the '{backend.Name}' backend does not declare {capability} ({why}).");
    }

    /// <summary>The capabilities of the backend under test.</summary>
    protected BackendCapabilities Capabilities
    {
        get
        {
            using IAsyncBackend backend = Fixture.CreateBackend();
            return backend.Capabilities;
        }
    }
}
