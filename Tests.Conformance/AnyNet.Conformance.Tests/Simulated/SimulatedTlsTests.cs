using AnyNet.Conformance;

// TLS (SslStream through AnyNet's TLS wrapper) over simulated TCP, Unix and memory streams.
namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedTlsOverTcpStreamTests : TlsOverTcpStreamConformance<SimulatedFixture>;

public sealed class SimulatedTlsOverUnixStreamTests : TlsOverUnixStreamConformance<SimulatedFixture>;

public sealed class SimulatedTlsOverMemoryStreamTests : TlsOverMemoryStreamConformance<SimulatedFixture>;

public sealed class SimulatedTlsTests : TlsConformance<SimulatedFixture>;
