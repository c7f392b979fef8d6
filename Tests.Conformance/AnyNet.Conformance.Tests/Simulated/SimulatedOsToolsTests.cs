using AnyNet.Conformance;

// The OS-facing areas (subprocesses, signals, files, leaks) on the sim backend: a simulated host has no processes and
// receives no signals (those tests skip by capability); files are the real machine's files.
namespace AnyNet.Conformance.Tests.Simulated;

public sealed class SimulatedProcessTests : ProcessConformance<SimulatedFixture>;

public sealed class SimulatedLeakTests : LeakConformance<SimulatedFixture>;

public sealed class SimulatedSignalTests : SignalConformance<SimulatedFixture>;

public sealed class SimulatedFileTests : FileConformance<SimulatedFixture>;
