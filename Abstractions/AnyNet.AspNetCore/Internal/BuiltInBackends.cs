using AnyNet.Backends.Libuv;
using AnyNet.Backends.Reactor;
using AnyNet.Backends.Tasks;
using AnyNet.Hosting;
using AnyNet.Hosting.Internal;

namespace AnyNet.AspNetCore.Internal;

/// <summary>Registers tasks, reactor and libuv by name unless the application registered a backend of that name.</summary>
internal static class BuiltInBackends
{
    public static void AddMissing(AnyNetBuilder builder)
    {
        HashSet<string> registered = new(
            builder.Services.Select(d => d.ImplementationInstance).OfType<BackendRegistration>().Select(r => r.Name),
            StringComparer.OrdinalIgnoreCase);
        AddIfMissing(builder, registered, "tasks", static _ => new TasksBackend());
        AddIfMissing(builder, registered, "reactor", static _ => new ReactorBackend());
        AddIfMissing(builder, registered, "libuv", static _ => new LibuvBackend());
    }

    private static void AddIfMissing(AnyNetBuilder builder, HashSet<string> registered, string name, Func<IServiceProvider, IAsyncBackend> factory)
    {
        if (!registered.Contains(name))
        {
            builder.AddBackend(name, factory);
        }
    }
}
