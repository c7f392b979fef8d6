using System.IO.Compression;
using System.Xml.Linq;
using Xunit;

namespace AnyNet.Conformance.Tests.Packaging;

/// <summary>
/// Packs the solution as scripts/pack.sh does, checks every package's metadata, and builds a consumer against the
/// packages alone, offline: what a user of the published packages gets.
/// </summary>
public sealed class PackagingTests : IClassFixture<PackagingTests.PackedSolution>
{
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(5);
    private readonly PackedSolution _packed;

    public PackagingTests(PackedSolution packed) => _packed = packed;

    [Fact]
    public async Task Exactly_the_library_projects_pack()
    {
        PackedSolution packed = await _packed.ReadyAsync();
        Assert.Equal(RepositoryLayout.Libraries, packed.Ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Every_package_carries_its_metadata_docs_readme_licence_and_symbols()
    {
        PackedSolution packed = await _packed.ReadyAsync();
        string version = Assert.Single(packed.Ids.Select(packed.VersionOf).Distinct());
        foreach (string id in packed.Ids)
        {
            string nupkg = Path.Combine(packed.Folder, $"{id}.{version}.nupkg");
            Assert.True(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), $"{id} has no .snupkg symbols package.");
            using ZipArchive archive = ZipFile.OpenRead(nupkg);
            string[] entries = archive.Entries.Select(e => e.FullName).ToArray();
            Assert.Contains("README.md", entries);
            Assert.Contains("LICENSE", entries);
            Assert.Contains($"lib/net10.0/{id}.xml", entries);

            using Stream nuspecStream = archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
            XElement metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
            Assert.False(string.IsNullOrWhiteSpace(Value("description")), $"{id} has no description.");
            Assert.False(string.IsNullOrWhiteSpace(Value("tags")), $"{id} has no tags.");
            Assert.Equal("MIT", Value("license"));
            Assert.Equal("README.md", Value("readme"));
            XElement repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
            Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
        }
    }

    [Fact]
    public async Task A_consumer_builds_and_runs_against_the_packages_alone_offline()
    {
        PackedSolution packed = await _packed.ReadyAsync();
        string version = packed.VersionOf("AnyNet.Abstractions");
        string consumer = Directory.CreateTempSubdirectory("anynet-consumer-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(consumer, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="AnyNet.Abstractions" Version="{version}" />
                    <PackageReference Include="AnyNet.Backends.Tasks" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            // Only the packed folder as a source, and an empty package cache: nothing can come from anywhere else.
            await File.WriteAllTextAsync(Path.Combine(consumer, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="packed" value="{packed.Folder}" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(consumer, "Program.cs"), """
                using System.Net;
                using AnyNet;
                using AnyNet.Backends.Tasks;

                await using IAsyncBackend backend = new TasksBackend();
                string reply = await backend.RunAsync(async token =>
                {
                    await using ISocketListener listener = backend.ListenTcp(new IPEndPoint(IPAddress.Loopback, 0));
                    await using ISocketStream client = await backend.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint, token);
                    await using ISocketStream server = await listener.AcceptAsync(token);
                    await client.SendAsync("consumer ok"u8.ToArray(), token);
                    byte[] buffer = new byte[11];
                    int n = await server.ReceiveAsync(buffer, token);
                    return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
                });
                Console.WriteLine(reply);
                """);
            var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(consumer, "packages") };
            (int exitCode, string output) = await ProcessRunner.RunAsync("dotnet", ["run", "-c", "Release"], consumer, s_limit, environment);
            Assert.True(exitCode == 0, output);
            Assert.Contains("consumer ok", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(consumer, recursive: true);
        }
    }

    /// <summary>Packs once for the whole class (packing takes tens of seconds), into a temporary folder.</summary>
    public sealed class PackedSolution : IDisposable
    {
        private readonly Lazy<Task<PackedSolution>> _pack;

        public PackedSolution() => _pack = new Lazy<Task<PackedSolution>>(PackAsync);

        public string Folder { get; } = Directory.CreateTempSubdirectory("anynet-packages-").FullName;

        public IReadOnlyList<string> Ids { get; private set; } = [];

        public Task<PackedSolution> ReadyAsync() => _pack.Value;

        public string VersionOf(string id)
        {
            string file = Path.GetFileNameWithoutExtension(Directory.GetFiles(Folder, $"{id}.*.nupkg").Single(f => IdOf(f) == id));
            return file[(id.Length + 1)..];
        }

        public void Dispose() => Directory.Delete(Folder, recursive: true);

        private async Task<PackedSolution> PackAsync()
        {
            // The same script a maintainer runs; --no-build because the test run has just built Release.
            (int exitCode, string output) = await ProcessRunner.RunAsync(
                "bash", ["scripts/pack.sh", Folder, "--no-build"], RepositoryLayout.Root, s_limit);
            Assert.True(exitCode == 0, output);
            Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase);
            Ids = Directory.GetFiles(Folder, "*.nupkg").Select(IdOf).ToArray();
            return this;
        }

        // "AnyNet.Backends.Tasks.0.2.0.nupkg" -> "AnyNet.Backends.Tasks": the id is everything before the first numeric part.
        private static string IdOf(string path)
        {
            string[] parts = Path.GetFileNameWithoutExtension(path).Split('.');
            return string.Join('.', parts.TakeWhile(p => !char.IsAsciiDigit(p[0])));
        }
    }
}
