namespace AnyNet.Hosting;

/// <summary>
/// The AnyNet settings of a host, bound from the configuration section <c>AnyNet</c> (for example
/// <c>"AnyNet": { "Backend": "libuv" }</c> in appsettings.json, or <c>AnyNet__Backend=libuv</c> in the environment)
/// and validated when the host starts.
/// </summary>
public sealed class AnyNetOptions
{
    /// <summary>The configuration section the options are bound from: <c>AnyNet</c>.</summary>
    public const string SectionName = "AnyNet";

    /// <summary>
    /// The name of the backend to use (compared ignoring case), one registered with
    /// <see cref="AnyNetBuilder.AddBackend(string, Func{IServiceProvider, IAsyncBackend})"/>. When not set:
    /// <c>tasks</c> if it is registered, else the only registered backend.
    /// </summary>
    public string? Backend { get; set; }

    /// <summary>
    /// How long a stopping server lets open connections finish before it cancels their handlers and closes them,
    /// unless the server sets its own <see cref="AnyNetServerOptions.DrainTimeout"/>. Default 10 seconds;
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits until the host's own shutdown timeout.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
