using AnyNet.Conformance;
using Xunit;

namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedCoverageTests
{
    [Fact]
    public void Every_conformance_area_has_a_class_for_the_sim_backend() =>
        ConformanceCoverage.AssertEveryAreaCovered<SimulatedFixture>(typeof(SimulatedCoverageTests).Assembly);
}
