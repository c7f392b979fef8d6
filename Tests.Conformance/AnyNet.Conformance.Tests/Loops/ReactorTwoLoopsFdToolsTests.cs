using AnyNet.Conformance;

// Descriptor passing and foreign-descriptor waits on the reactor backend with two loops: a stream on one loop, a wait
// started from another.
namespace AnyNet.Conformance.Tests.Loops;

public sealed class ReactorTwoLoopsFdPassingTests : FdPassingConformance<ReactorTwoLoopsFixture>;

public sealed class ReactorTwoLoopsForeignReadinessTests : ForeignReadinessConformance<ReactorTwoLoopsFixture>;
