using System.Reflection;

namespace AnyNet.Benchmarks;

/// <summary>
/// Makes AnyNet backends by name. Backends are found by type name so the benchmarks build and run with whichever
/// backends exist in the tree; a missing one is reported, not a build error.
/// </summary>
internal static class BackendCatalog
{
    /// <summary>Every built-in AnyNet backend, in the order the benchmarks report them.</summary>
    public static readonly string[] Names = ["tasks", "reactor", "libuv"];

    private static readonly Dictionary<string, string> s_typeNames = new(StringComparer.Ordinal)
    {
        ["tasks"] = "AnyNet.Backends.Tasks.TasksBackend, AnyNet.Backends.Tasks",
        ["reactor"] = "AnyNet.Backends.Reactor.ReactorBackend, AnyNet.Backends.Reactor",
        ["libuv"] = "AnyNet.Backends.Libuv.LibuvBackend, AnyNet.Backends.Libuv",
    };

    /// <summary>Makes the backend called <paramref name="name"/>, or returns null with the reason it cannot.</summary>
    public static IAsyncBackend? TryCreate(string name, out string? reason)
    {
        reason = null;
        if (!s_typeNames.TryGetValue(name, out string? typeName))
        {
            reason = $"unknown backend '{name}' (known: {string.Join(", ", Names)})";
            return null;
        }

        Type? type = Type.GetType(typeName, throwOnError: false);
        if (type is null || !typeof(IAsyncBackend).IsAssignableFrom(type))
        {
            reason = $"type {typeName} is not in this build yet";
            return null;
        }

        try
        {
            return Construct(type) ?? throw new MissingMethodException(type.FullName, ".ctor (no usable constructor)");
        }
        catch (Exception error)
        {
            Exception inner = error is TargetInvocationException { InnerException: { } e } ? e : error;
            reason = $"{type.Name} failed to start: {inner.GetType().Name}: {inner.Message}";
            return null;
        }
    }

    // A parameterless constructor first; otherwise one whose parameters are all optional or default-constructible
    // option objects (e.g. a TasksBackendOptions), which gives the backend's documented defaults.
    private static IAsyncBackend? Construct(Type type)
    {
        ConstructorInfo[] constructors = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance);
        foreach (ConstructorInfo constructor in constructors.OrderBy(c => c.GetParameters().Length))
        {
            ParameterInfo[] parameters = constructor.GetParameters();
            object?[] arguments = new object?[parameters.Length];
            bool usable = true;
            for (int i = 0; i < parameters.Length && usable; i++)
            {
                ParameterInfo parameter = parameters[i];
                if (parameter.HasDefaultValue)
                {
                    arguments[i] = parameter.DefaultValue;
                }
                else if (!parameter.ParameterType.IsAbstract && parameter.ParameterType.GetConstructor(Type.EmptyTypes) is { } optionsConstructor)
                {
                    arguments[i] = optionsConstructor.Invoke(null);
                }
                else
                {
                    usable = false;
                }
            }

            if (usable)
            {
                return (IAsyncBackend)constructor.Invoke(arguments);
            }
        }

        return null;
    }
}
