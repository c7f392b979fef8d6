using AnyNet.Conformance;

// sim declares neither FdPassing nor ForeignHandleReadiness (a simulated host has no descriptors): both areas skip
// with that reason.
namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedFdPassingTests : FdPassingConformance<SimulatedFixture>;

public sealed class SimulatedForeignReadinessTests : ForeignReadinessConformance<SimulatedFixture>;
