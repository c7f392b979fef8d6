using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace AnyNet.Conformance;

/// <summary>
/// Checks that a backend's test assembly runs every conformance area: for each area class of this library (an abstract
/// generic class derived from <see cref="ConformanceTest{TFixture}"/> that has tests and needs nothing but its one-line
/// subclass), the test assembly must hold a concrete class for the author's fixture. Without this, an area added to the
/// suite later is silently never run against a backend whose author listed the areas by hand.
/// </summary>
/// <example>
/// <code>
/// public sealed class MyCoverageTests
/// {
///     [Fact]
///     public void Every_conformance_area_runs() =>
///         ConformanceCoverage.AssertEveryAreaCovered&lt;MyFixture&gt;(typeof(MyCoverageTests).Assembly);
/// }
/// </code>
/// </example>
public static class ConformanceCoverage
{
    // Test code reflecting over test assemblies: never trimmed or compiled ahead of time.
    private const string Why = "Reflects over the conformance library's and the test assembly's types.";

    /// <summary>
    /// The area classes (closed over <typeparamref name="TFixture"/>) that <paramref name="testAssembly"/> has no concrete
    /// class for, by name, sorted. Areas whose fixture constraint <typeparamref name="TFixture"/> does not meet (the
    /// virtual-time area needs <see cref="IVirtualTimeBackendFixture"/>) are not required.
    /// </summary>
    [RequiresUnreferencedCode(Why)]
    [RequiresDynamicCode(Why)]
    public static IReadOnlyList<string> FindMissingAreas<TFixture>(Assembly testAssembly)
        where TFixture : IBackendFixture, new()
    {
        ArgumentNullException.ThrowIfNull(testAssembly);
        Type[] concrete = LoadableTypes(testAssembly).Where(t => t is { IsClass: true, IsAbstract: false }).ToArray();
        var missing = new List<string>();
        foreach (Type area in Areas())
        {
            Type? closed = TryClose(area, typeof(TFixture));
            if (closed is not null && !concrete.Any(t => t.IsSubclassOf(closed)))
            {
                missing.Add(AreaName(area));
            }
        }

        missing.Sort(StringComparer.Ordinal);
        return missing;
    }

    /// <summary>
    /// Throws, naming every missing area class, unless <paramref name="testAssembly"/> has a concrete class for each
    /// conformance area and <typeparamref name="TFixture"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">At least one area has no class; the message lists them all.</exception>
    [RequiresUnreferencedCode(Why)]
    [RequiresDynamicCode(Why)]
    public static void AssertEveryAreaCovered<TFixture>(Assembly testAssembly)
        where TFixture : IBackendFixture, new()
    {
        IReadOnlyList<string> missing = FindMissingAreas<TFixture>(testAssembly);
        if (missing.Count == 0)
        {
            return;
        }

        string fixture = typeof(TFixture).Name;
        string lines = string.Join(Environment.NewLine, missing.Select(name =>
            $"    public sealed class {fixture.Replace("Fixture", string.Empty, StringComparison.Ordinal)}{name.Replace("Conformance", "Tests", StringComparison.Ordinal)} : {name}<{fixture}>;"));
        throw new InvalidOperationException(
            $"{testAssembly.GetName().Name} runs {missing.Count} conformance area(s) not at all for {fixture}: {string.Join(", ", missing)}. " +
            $"Add one line per area:{Environment.NewLine}{lines}");
    }

    /// <summary>Every area class of the conformance library (open generic types).</summary>
    [RequiresUnreferencedCode(Why)]
    [RequiresDynamicCode(Why)]
    public static IReadOnlyList<Type> Areas() =>
        typeof(ConformanceTest<>).Assembly.GetExportedTypes()
            .Where(t => t.IsClass && t.IsAbstract && t.IsGenericTypeDefinition && t.GetGenericArguments().Length == 1)
            .Where(t => DerivesFromConformanceTest(t) && HasTests(t) && !HasAbstractMembers(t))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToArray();

    [RequiresUnreferencedCode(Why)]
    [RequiresDynamicCode(Why)]
    private static bool DerivesFromConformanceTest(Type type)
    {
        for (Type? current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.IsGenericType && current.GetGenericTypeDefinition() == typeof(ConformanceTest<>))
            {
                return true;
            }
        }

        return false;
    }

    [RequiresUnreferencedCode(Why)]
    [RequiresDynamicCode(Why)]
    private static bool HasTests(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Any(m => m.GetCustomAttributes(inherit: true).Any(a => a is Xunit.FactAttribute));

    // An intermediate base such as ByteStreamConformance<T> leaves members for each stream kind to supply: it is not
    // an area itself; its concrete kinds (TcpStreamConformance<T>...) are.
    [RequiresUnreferencedCode(Why)]
    [RequiresDynamicCode(Why)]
    private static bool HasAbstractMembers(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Any(m => m.IsAbstract)
        || type.GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Any(p => p.GetMethod?.IsAbstract == true);

    [RequiresUnreferencedCode(Why)]
    [RequiresDynamicCode(Why)]
    private static Type? TryClose(Type area, Type fixture)
    {
        try
        {
            return area.MakeGenericType(fixture);
        }
        catch (ArgumentException)
        {
            // The fixture does not meet the area's constraint (for example IVirtualTimeBackendFixture).
            return null;
        }
    }

    private static string AreaName(Type area) => area.Name[..area.Name.IndexOf('`', StringComparison.Ordinal)];

    [RequiresUnreferencedCode(Why)]
    [RequiresDynamicCode(Why)]
    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException partial)
        {
            return partial.Types.OfType<Type>();
        }
    }
}
