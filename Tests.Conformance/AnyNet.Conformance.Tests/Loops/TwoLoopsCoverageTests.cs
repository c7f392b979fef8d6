using AnyNet.Conformance;
using Xunit;

namespace AnyNet.Conformance.Tests.Loops;

public sealed class TwoLoopsCoverageTests
{
    [Fact]
    public void Every_conformance_area_has_a_class_for_the_two_loop_reactor() =>
        ConformanceCoverage.AssertEveryAreaCovered<ReactorTwoLoopsFixture>(typeof(TwoLoopsCoverageTests).Assembly);

    [Fact]
    public void Every_conformance_area_has_a_class_for_the_two_loop_libuv() =>
        ConformanceCoverage.AssertEveryAreaCovered<LibuvTwoLoopsFixture>(typeof(TwoLoopsCoverageTests).Assembly);
}
