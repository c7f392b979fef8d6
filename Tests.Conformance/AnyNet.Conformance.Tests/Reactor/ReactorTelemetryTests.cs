using AnyNet.Conformance;

namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorTelemetryTests : TelemetryConformance<ReactorFixture>;
