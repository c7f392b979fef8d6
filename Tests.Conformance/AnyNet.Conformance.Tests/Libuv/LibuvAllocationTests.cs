using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvAllocationTests : AllocationConformance<LibuvFixture>;
