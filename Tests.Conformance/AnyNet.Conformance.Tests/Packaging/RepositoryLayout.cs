namespace AnyNet.Conformance.Tests.Packaging;

/// <summary>Finds the checkout the tests were built from, so tests can run its scripts and read its project files.</summary>
internal static class RepositoryLayout
{
    public static string Root { get; } = FindRoot();

    /// <summary>The library projects (the ones that pack and whose public API is tracked), by assembly name, in order.</summary>
    public static IReadOnlyList<string> Libraries { get; } = new[] { "Abstractions", "Backends" }
        .SelectMany(folder => Directory.GetFiles(Path.Combine(Root, folder), "*.csproj", SearchOption.AllDirectories))
        .Append(Path.Combine(Root, "Tests.Conformance", "AnyNet.Conformance", "AnyNet.Conformance.csproj"))
        .Select(path => Path.GetFileNameWithoutExtension(path))
        .Order(StringComparer.Ordinal)
        .ToArray();

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AnyNet.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AnyNet.sln above {AppContext.BaseDirectory}.");
    }
}
