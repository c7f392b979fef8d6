using AnyNet.Conformance;

// Issue 14's descriptor tools (fd passing over Unix sockets, readiness of foreign descriptors) on the libuv backend.
namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvFdPassingTests : FdPassingConformance<LibuvFixture>;

public sealed class LibuvForeignReadinessTests : ForeignReadinessConformance<LibuvFixture>;
