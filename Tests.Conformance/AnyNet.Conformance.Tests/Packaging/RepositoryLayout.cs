namespace AnyNet.Conformance.Tests.Packaging;

/// <summary>Finds the checkout the tests were built from, so tests can run its scripts and read its project files.</summary>
internal static class RepositoryLayout
{
    public static string Root { get; } = FindRoot();

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
