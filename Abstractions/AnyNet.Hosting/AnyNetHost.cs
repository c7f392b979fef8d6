using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AnyNet.Hosting;

/// <summary>
/// Runs an AnyNet host so that bad configuration ends the process with one clear line and exit code 1 instead of an
/// unhandled exception, its stack trace and SIGABRT.
/// </summary>
/// <example>
/// <code>
/// return await AnyNetHost.RunAsync(() =>
/// {
///     HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
///     builder.AddAnyNet().AddBackend("tasks", _ => new TasksBackend());
///     builder.AddAnyNetServers&lt;EchoHandler&gt;("App:Endpoints", ["tcp:127.0.0.1:7000"]);
///     return builder.Build();
/// });
/// </code>
/// </example>
public static class AnyNetHost
{
    /// <summary>
    /// Builds the host with <paramref name="build"/>, checks its options, binds every <see cref="AnyNetServer"/>, then runs
    /// the host until it shuts down.
    /// </summary>
    /// <remarks>
    /// A configuration error found before the host runs - a malformed endpoint or option (<see cref="FormatException"/>,
    /// <see cref="ArgumentException"/>, <see cref="OptionsValidationException"/>, a configuration binder's
    /// <see cref="InvalidOperationException"/>) or an endpoint that cannot be bound (in use, a missing directory) - is
    /// written to <paramref name="error"/> (standard error by default) as one line, <c>app: message</c>, naming the key
    /// and the value, and the method returns 1. Any other exception propagates unchanged: it is a bug, and its stack
    /// trace matters. The servers are bound before the host's other hosted services start (a server's
    /// <see cref="AnyNetServer.StartAsync"/> then does nothing when the host calls it).
    /// </remarks>
    /// <param name="build">Creates the host (registrations that throw are reported as described).</param>
    /// <param name="error">Where the one-line error goes; <see cref="Console.Error"/> when null.</param>
    /// <param name="cancellationToken">Stops the host, as Ctrl-C does.</param>
    /// <returns>0 when the host ran and shut down, 1 when start-up failed on configuration.</returns>
    public static async Task<int> RunAsync(Func<IHost> build, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(build);
        error ??= Console.Error;
        IHost host;
        try
        {
            host = build();
        }
        catch (Exception failure) when (IsConfigurationError(failure))
        {
            Report(error, failure);
            return 1;
        }

        try
        {
            try
            {
                // What the host would do in StartAsync, done first so that a failure is not also logged with its trace.
                host.Services.GetService<IStartupValidator>()?.Validate();
                foreach (AnyNetServer server in host.Services.GetServices<AnyNetServer>())
                {
                    await server.StartAsync(cancellationToken);
                }
            }
            catch (Exception failure) when (IsConfigurationError(failure) || failure is IOException or SocketException)
            {
                Report(error, failure);
                return 1;
            }

            await host.RunAsync(cancellationToken);
            return 0;
        }
        finally
        {
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
    }

    private static bool IsConfigurationError(Exception error) => error is FormatException or ArgumentException or OptionsValidationException
        || (error is InvalidOperationException && error.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase));

    private static void Report(TextWriter writer, Exception failure)
    {
        // One line whatever the message holds: a log collector treats each line as an event.
        string message = failure.Message.ReplaceLineEndings(" ");
        writer.WriteLine($"{AppDomain.CurrentDomain.FriendlyName}: {message}");
        writer.Flush();
    }
}
