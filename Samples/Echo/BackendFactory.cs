namespace AnyNet.Samples.Echo;

/// <summary>Makes a backend from its --backend name.</summary>
internal static class BackendFactory
{
    public static readonly string[] Names = ["tasks", "reactor", "libuv"];

    public static IAsyncBackend Create(string name) => name switch
    {
        "tasks" => new Backends.Tasks.TasksBackend(),
        "reactor" => CreateByTypeName("AnyNet.Backends.Reactor.ReactorBackend, AnyNet.Backends.Reactor", name),
        "libuv" => CreateByTypeName("AnyNet.Backends.Libuv.LibuvBackend, AnyNet.Backends.Libuv", name),
        _ => throw new ArgumentException($"Unknown backend '{name}'. Choose one of: {string.Join(", ", Names)}.", nameof(name)),
    };

    private static IAsyncBackend CreateByTypeName(string typeName, string name)
    {
        Type type = Type.GetType(typeName) ?? throw new NotSupportedException($"The '{name}' backend is not built into this sample yet.");
        return (IAsyncBackend)Activator.CreateInstance(type)!;
    }
}
