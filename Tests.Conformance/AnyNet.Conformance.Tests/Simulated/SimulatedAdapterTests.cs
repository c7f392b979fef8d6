using AnyNet.Conformance;

// The bridges to System.IO.Stream and System.IO.Pipelines over simulated streams.
namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedAdapterTests : AdapterConformance<SimulatedFixture>;

public sealed class SimulatedStreamRoundTripStreamTests : StreamRoundTripStreamConformance<SimulatedFixture>;

public sealed class SimulatedDuplexPipeRoundTripStreamTests : DuplexPipeRoundTripStreamConformance<SimulatedFixture>;
