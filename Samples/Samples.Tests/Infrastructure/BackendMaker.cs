using AnyNet.Backends.Libuv;
using AnyNet.Backends.Reactor;
using AnyNet.Backends.Tasks;

namespace AnyNet.Samples.Tests.Infrastructure;

/// <summary>Makes a backend by name with a given clock, for the in-process tests.</summary>
internal static class BackendMaker
{
    public static IAsyncBackend Create(string name, TimeProvider? time = null) => name switch
    {
        "tasks" => new TasksBackend(new TasksBackendOptions { TimeProvider = time }),
        "reactor" => new ReactorBackend(new ReactorBackendOptions { TimeProvider = time }),
        "libuv" => new LibuvBackend(new LibuvBackendOptions { TimeProvider = time }),
        _ => throw new ArgumentException($"unknown backend {name}", nameof(name)),
    };
}
