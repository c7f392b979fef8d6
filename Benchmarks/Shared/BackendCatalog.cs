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

    /// <summary>
    /// Makes the backend called <paramref name="name"/>, or returns null with the reason it cannot. A loop backend takes
    /// a loop count after a dash: <c>reactor-2</c>, <c>libuv-4</c>, <c>reactor-auto</c> (one loop per core), which sets
    /// the <c>Loops</c> property of its options.
    /// </summary>
    public static IAsyncBackend? TryCreate(string name, out string? reason)
    {
        reason = null;
        int? loops = null;
        int dash = name.LastIndexOf('-');
        if (dash > 0 && s_typeNames.ContainsKey(name[..dash]))
        {
            string count = name[(dash + 1)..];
            if (count == "auto")
            {
                loops = 0;
            }
            else if (int.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0)
            {
                loops = n;
            }
            else
            {
                reason = $"bad loop count in '{name}' (use a name such as reactor-2 or libuv-auto)";
                return null;
            }

            name = name[..dash];
        }

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
            return (loops is int count ? ConstructWithLoops(type, count, out reason) : Construct(type))
                ?? (reason is null ? throw new MissingMethodException(type.FullName, ".ctor (no usable constructor)") : (IAsyncBackend?)null);
        }
        catch (Exception error)
        {
            Exception inner = error is TargetInvocationException { InnerException: { } e } ? e : error;
            reason = $"{type.Name} failed to start: {inner.GetType().Name}: {inner.Message}";
            return null;
        }
    }

    // The constructor that takes an options object with a settable int Loops (ReactorBackendOptions, LibuvBackendOptions).
    private static IAsyncBackend? ConstructWithLoops(Type type, int loops, out string? reason)
    {
        reason = null;
        foreach (ConstructorInfo constructor in type.GetConstructors(BindingFlags.Public | BindingFlags.Instance))
        {
            ParameterInfo[] parameters = constructor.GetParameters();
            if (parameters.Length == 1
                && parameters[0].ParameterType.GetConstructor(Type.EmptyTypes) is { } optionsConstructor
                && parameters[0].ParameterType.GetProperty("Loops") is { PropertyType: var propertyType, CanWrite: true } property
                && propertyType == typeof(int))
            {
                object options = optionsConstructor.Invoke(null);
                property.SetValue(options, loops);
                return (IAsyncBackend)constructor.Invoke([options]);
            }
        }

        reason = $"{type.Name} has no Loops option";
        return null;
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
