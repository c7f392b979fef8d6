using AnyNet.Conformance;

// Issue 14's socket tools (typed attributes and options, listening everywhere, fd passing, foreign readiness) on the libuv backend.
namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvTypedAttributeTests : TypedAttributeConformance<LibuvFixture>;

public sealed class LibuvListenEverywhereTests : ListenEverywhereConformance<LibuvFixture>;
