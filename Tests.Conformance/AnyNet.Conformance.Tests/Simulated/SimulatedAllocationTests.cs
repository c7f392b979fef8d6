using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedAllocationTests : AllocationConformance<SimulatedFixture>;
