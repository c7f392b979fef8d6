using AnyNet.Conformance;

// Descriptor passing and foreign-descriptor waits on the libuv backend with two loops: a stream on one loop, a wait
// started from another.
namespace AnyNet.Conformance.Tests.Loops;

public sealed class LibuvTwoLoopsFdPassingTests : FdPassingConformance<LibuvTwoLoopsFixture>;

public sealed class LibuvTwoLoopsForeignReadinessTests : ForeignReadinessConformance<LibuvTwoLoopsFixture>;
