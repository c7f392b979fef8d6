using AnyNet.Backends.Libuv;
using AnyNet.Backends.Reactor;
using AnyNet.Backends.Tasks;
using AnyNet.Hosting;
using AnyNet.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AnyNet.AspNetCore.Internal;

/// <summary>
/// Registers tasks, reactor and libuv by name unless the application registered a backend of that name. The reactor
/// and libuv made here run <see cref="AnyNetTransportOptions.Loops"/> loops (default: one per core), so one backend
/// instance, shared by the web server and the application's own AnyNet code, uses every core.
/// </summary>
internal static class BuiltInBackends
{
    public static void AddMissing(AnyNetBuilder builder)
    {
        HashSet<string> registered = new(
            builder.Services.Select(d => d.ImplementationInstance).OfType<BackendRegistration>().Select(r => r.Name),
            StringComparer.OrdinalIgnoreCase);
        AddIfMissing(builder, registered, "tasks", static _ => new TasksBackend());
        AddIfMissing(builder, registered, "reactor", static sp => new ReactorBackend(new ReactorBackendOptions { Loops = Loops(sp) }));
        AddIfMissing(builder, registered, "libuv", static sp => new LibuvBackend(new LibuvBackendOptions { Loops = Loops(sp) }));
    }

    /// <summary>The transport's <see cref="AnyNetTransportOptions.Loops"/>, null meaning the backends' AutoLoops (0, one per core).</summary>
    private static int Loops(IServiceProvider services)
    {
        AnyNetTransportOptions options = services.GetRequiredService<IOptions<AnyNetTransportOptions>>().Value;
        options.Validate();
        return options.Loops ?? ReactorBackendOptions.AutoLoops;
    }

    private static void AddIfMissing(AnyNetBuilder builder, HashSet<string> registered, string name, Func<IServiceProvider, IAsyncBackend> factory)
    {
        if (!registered.Contains(name))
        {
            builder.AddBackend(name, factory);
        }
    }
}
