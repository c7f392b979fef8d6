using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedAdapterTests : AdapterConformance<SimulatedFixture>;

public sealed class SimulatedStreamRoundTripStreamTests : StreamRoundTripStreamConformance<SimulatedFixture>;

public sealed class SimulatedDuplexPipeRoundTripStreamTests : DuplexPipeRoundTripStreamConformance<SimulatedFixture>;
