namespace AnyNet.Samples.Tests.Infrastructure;

/// <summary>Where the repository and the samples' build output are, found from the test assembly's location.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AnyNet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"AnyNet.sln not found above {AppContext.BaseDirectory}");
    });

    public static string Root => s_root.Value;

    /// <summary>The built dll of a sample.</summary>
    public static string SampleDll(string sample) =>
        Path.Combine(Root, "Samples", sample, "bin", Configuration, "net10.0", sample + ".dll");

    /// <summary>Release or Debug: the same configuration the tests were built in (…/bin/Release/net10.0/).</summary>
    public static string Configuration =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
}
