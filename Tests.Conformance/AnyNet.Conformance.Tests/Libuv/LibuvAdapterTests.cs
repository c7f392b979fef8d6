using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvAdapterTests : AdapterConformance<LibuvFixture>;

public sealed class LibuvStreamRoundTripStreamTests : StreamRoundTripStreamConformance<LibuvFixture>;

public sealed class LibuvDuplexPipeRoundTripStreamTests : DuplexPipeRoundTripStreamConformance<LibuvFixture>;
