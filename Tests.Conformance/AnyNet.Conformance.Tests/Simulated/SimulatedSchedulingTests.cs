using AnyNet.Conformance;

// Keepalive options and the fairness of the one scheduler thread on the sim backend.
namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedKeepAliveTests : KeepAliveConformance<SimulatedFixture>;

public sealed class SimulatedFairnessTests : FairnessConformance<SimulatedFixture>;
