using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorFairnessTests : FairnessConformance<ReactorFixture>;
