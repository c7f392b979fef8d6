using AnyNet.Conformance;
using Xunit;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorCoverageTests
{
    [Fact]
    public void Every_conformance_area_has_a_class_for_the_reactor_backend() =>
        ConformanceCoverage.AssertEveryAreaCovered<ReactorFixture>(typeof(ReactorCoverageTests).Assembly);
}
