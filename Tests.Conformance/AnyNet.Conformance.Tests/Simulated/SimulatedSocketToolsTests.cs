using AnyNet.Conformance;

// Issue 14's socket tools on the sim backend: listening everywhere works on simulated sockets; typed attributes (raw
// descriptors, socket options) need OS sockets and skip by capability.
namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedTypedAttributeTests : TypedAttributeConformance<SimulatedFixture>;

public sealed class SimulatedListenEverywhereTests : ListenEverywhereConformance<SimulatedFixture>;
