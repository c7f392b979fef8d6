using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorAllocationTests : AllocationConformance<ReactorFixture>;
