using AnyNet.Conformance;

// Issue 14's descriptor tools (fd passing over Unix sockets, readiness of foreign descriptors) on the reactor backend.
namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorFdPassingTests : FdPassingConformance<ReactorFixture>;

public sealed class ReactorForeignReadinessTests : ForeignReadinessConformance<ReactorFixture>;
