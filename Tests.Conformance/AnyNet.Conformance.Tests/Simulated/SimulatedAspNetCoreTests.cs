using AnyNet.Conformance.AspNetCore;

// Kestrel on the sim backend: every test skips (the sim backend lacks OperatingSystemSockets), with the reason.
namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedAspNetCoreTests : AspNetCoreConformance<SimulatedFixture>;
