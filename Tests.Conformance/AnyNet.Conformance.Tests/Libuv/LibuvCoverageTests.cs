using AnyNet.Conformance;
using Xunit;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvCoverageTests
{
    [Fact]
    public void Every_conformance_area_has_a_class_for_the_libuv_backend() =>
        ConformanceCoverage.AssertEveryAreaCovered<LibuvFixture>(typeof(LibuvCoverageTests).Assembly);
}
