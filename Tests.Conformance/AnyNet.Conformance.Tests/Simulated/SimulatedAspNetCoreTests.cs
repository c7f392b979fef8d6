using AnyNet.Conformance.AspNetCore;

namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedAspNetCoreTests : AspNetCoreConformance<SimulatedFixture>;
