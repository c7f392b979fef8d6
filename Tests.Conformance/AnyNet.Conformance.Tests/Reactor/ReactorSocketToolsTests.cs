using AnyNet.Conformance;

// Issue 14's socket tools (typed attributes and options, listening everywhere, fd passing, foreign readiness) on the reactor backend.
namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorTypedAttributeTests : TypedAttributeConformance<ReactorFixture>;

public sealed class ReactorListenEverywhereTests : ListenEverywhereConformance<ReactorFixture>;
