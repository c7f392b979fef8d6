using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorAdapterTests : AdapterConformance<ReactorFixture>;

public sealed class ReactorStreamRoundTripStreamTests : StreamRoundTripStreamConformance<ReactorFixture>;

public sealed class ReactorDuplexPipeRoundTripStreamTests : DuplexPipeRoundTripStreamConformance<ReactorFixture>;
