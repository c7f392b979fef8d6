using AnyNet.Backends.Tasks;
using AnyNet.Conformance;
using Xunit;

namespace AnyNet.Conformance.Tests.Core;

/// <summary>The coverage guard itself: it must notice missing areas and name them.</summary>
public sealed class ConformanceCoverageTests
{
    [Fact]
    public void The_guard_names_every_area_a_fixture_has_no_class_for()
    {
        IReadOnlyList<string> missing = ConformanceCoverage.FindMissingAreas<UncoveredFixture>(typeof(ConformanceCoverageTests).Assembly);
        Assert.Contains("TcpStreamConformance", missing);
        Assert.Contains("FairnessConformance", missing);
        Assert.Contains("EventConformance", missing);

        // Intermediate bases are not areas.
        Assert.DoesNotContain("ByteStreamConformance", missing);
        Assert.DoesNotContain("ConformanceTest", missing);
        Assert.Equal(ConformanceCoverage.Areas().Count, missing.Count);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(
            () => ConformanceCoverage.AssertEveryAreaCovered<UncoveredFixture>(typeof(ConformanceCoverageTests).Assembly));
        Assert.Contains("TcpStreamConformance", error.Message, StringComparison.Ordinal);
        Assert.Contains("public sealed class UncoveredTcpStreamTests : TcpStreamConformance<UncoveredFixture>;", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_area_class_of_the_suite_is_found()
    {
        IReadOnlyList<Type> areas = ConformanceCoverage.Areas();
        Assert.Contains(typeof(TcpStreamConformance<>), areas);
        Assert.Contains(typeof(VirtualTimeConformance<>), areas);
        Assert.Contains(typeof(HostingConformance<>), areas);
        Assert.DoesNotContain(typeof(ByteStreamConformance<>), areas);
    }

    /// <summary>A fixture no area class in this assembly uses.</summary>
    public sealed class UncoveredFixture : IBackendFixture
    {
        public IAsyncBackend CreateBackend() => new TasksBackend();
    }
}
