using System.Reflection;
using AnyNet.Conformance.Tests.Packaging;
using Xunit;

namespace AnyNet.Conformance.Tests.Api;

/// <summary>
/// The public API of every library, compared with the checked-in baseline in api/. A change to the API must update the
/// baseline in the same commit (run the tests with ANYNET_UPDATE_API=1 to rewrite it), so API changes show in review.
/// </summary>
public sealed class PublicApiTests
{
    public static TheoryData<string> Libraries => new(RepositoryLayout.Libraries);

    [Theory]
    [MemberData(nameof(Libraries))]
    public void The_public_API_matches_the_checked_in_baseline(string library)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(library));
        }
        catch (FileNotFoundException)
        {
            throw new Xunit.Sdk.XunitException($"{library} is a library project but the test project does not reference it: add a ProjectReference so its API is tracked.");
        }

        string actual = PublicApiText.Of(assembly);
        string path = Path.Combine(RepositoryLayout.Root, "api", library + ".txt");
        if (Environment.GetEnvironmentVariable("ANYNET_UPDATE_API") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"No API baseline at {path}: run the tests once with ANYNET_UPDATE_API=1 and commit it.");
        string[] expected = File.ReadAllLines(path);
        string[] lines = actual.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] added = lines.Except(expected, StringComparer.Ordinal).ToArray();
        string[] removed = expected.Except(lines, StringComparer.Ordinal).ToArray();
        Assert.True(added.Length == 0 && removed.Length == 0,
            $"The public API of {library} changed. If that is intended, run the tests with ANYNET_UPDATE_API=1 and commit api/{library}.txt.\n" +
            string.Concat(added.Select(l => $"+ {l}\n")) + string.Concat(removed.Select(l => $"- {l}\n")));
    }
}
