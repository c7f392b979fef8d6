using AnyNet.Backends.Libuv;
using AnyNet.Backends.Reactor;
using AnyNet.Backends.Tasks;

namespace AnyNet.Samples.Echo;

/// <summary>Makes a backend from its --backend name.</summary>
internal static class BackendFactory
{
    public static readonly string[] Names = ["tasks", "reactor", "libuv"];

    public static IAsyncBackend Create(string name) => name switch
    {
        "tasks" => new TasksBackend(),
        "reactor" => new ReactorBackend(),
        "libuv" => new LibuvBackend(),
        _ => throw new ArgumentException($"Unknown backend '{name}'. Choose one of: {string.Join(", ", Names)}.", nameof(name)),
    };
}
