using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace AnyNet.Conformance;

/// <summary>
/// The backends an application's test project can run on: every <see cref="IAsyncBackend"/> with a public parameterless
/// constructor in a referenced <c>AnyNet.Backends.*</c> assembly that starts on this machine, plus any registered with
/// <see cref="Register"/>. Used by <see cref="AnyNetBackendsAttribute"/> to run one test on each of them.
/// </summary>
public static class AnyNetBackends
{
    private static readonly ConcurrentDictionary<string, Func<IAsyncBackend>> s_registered = new(StringComparer.OrdinalIgnoreCase);
    private static readonly Lazy<Discovery> s_discovered = new(Discover);

    /// <summary>The names of the backends found, in name order.</summary>
    public static IReadOnlyList<string> Names =>
        s_discovered.Value.Factories.Keys.Concat(s_registered.Keys).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Backends found in a referenced assembly that did not start here (libuv without libuv.so.1, say), with the reason.</summary>
    public static IReadOnlyDictionary<string, string> Unavailable => s_discovered.Value.Unavailable;

    /// <summary>
    /// Adds a backend that cannot be found by itself (one that needs constructor arguments). Register before xunit
    /// discovers the tests, for example in a <see cref="System.Runtime.CompilerServices.ModuleInitializerAttribute"/>.
    /// </summary>
    public static void Register(string name, Func<IAsyncBackend> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        s_registered[name] = factory;
    }

    /// <summary>Creates a new instance of the backend named <paramref name="name"/>; the caller disposes it.</summary>
    /// <exception cref="ArgumentException">No backend has that name; the message lists the known ones.</exception>
    public static IAsyncBackend Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (s_registered.TryGetValue(name, out Func<IAsyncBackend>? registered) || s_discovered.Value.Factories.TryGetValue(name, out registered))
        {
            return registered();
        }

        throw new ArgumentException($"No AnyNet backend named '{name}'. Known: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>
    /// Creates the backend named <paramref name="name"/>, runs <paramref name="body"/> on it and disposes it; fails with
    /// <see cref="TimeoutException"/> instead of hanging if the body takes longer than <paramref name="timeout"/> (default 20 s).
    /// </summary>
    public static async Task RunAsync(string name, Func<IAsyncBackend, CancellationToken, Task> body, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        await using IAsyncBackend backend = Create(name);
        await BackendRunner.RunWithTimeoutAsync(backend, body, timeout ?? TimeSpan.FromSeconds(20));
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Test projects run under xunit's reflection-based runner and are never trimmed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Test projects run under xunit's reflection-based runner and are never trimmed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Test projects run under xunit's reflection-based runner and are never trimmed.")]
    private static Discovery Discover()
    {
        var factories = new Dictionary<string, Func<IAsyncBackend>>(StringComparer.OrdinalIgnoreCase);
        var unavailable = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Assembly assembly in BackendAssemblies())
        {
            foreach (Type type in assembly.GetExportedTypes())
            {
                if (!typeof(IAsyncBackend).IsAssignableFrom(type) || type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
                {
                    continue;
                }

                Func<IAsyncBackend> factory = () => (IAsyncBackend)Activator.CreateInstance(type)!;
                try
                {
                    using IAsyncBackend probe = factory();
                    factories[probe.Name] = factory;
                }
                catch (Exception error) when (error is TargetInvocationException or DllNotFoundException or NotSupportedException or PlatformNotSupportedException)
                {
                    unavailable[type.FullName!] = (error.InnerException ?? error).Message;
                }
            }
        }

        return new Discovery(factories, unavailable);
    }

    private static IEnumerable<Assembly> BackendAssemblies()
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Assembly loaded in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (IsBackendAssembly(loaded.GetName().Name) && seen.Add(loaded.GetName().Name!))
            {
                yield return loaded;
            }
        }

        // A referenced backend assembly is copied beside the tests but not loaded until something touches it.
        foreach (string file in Directory.EnumerateFiles(AppContext.BaseDirectory, "AnyNet.Backends.*.dll"))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (seen.Add(name))
            {
                yield return Assembly.Load(new AssemblyName(name));
            }
        }
    }

    private static bool IsBackendAssembly(string? name) => name is not null && name.StartsWith("AnyNet.Backends.", StringComparison.Ordinal);

    private sealed record Discovery(Dictionary<string, Func<IAsyncBackend>> Factories, Dictionary<string, string> Unavailable);
}
