using AnyNet.Conformance;

// The OS-facing areas (subprocesses, signals, files, attributes, leaks) on the reactor backend.
namespace AnyNet.Conformance.Tests.Reactor;

public sealed class ReactorProcessTests : ProcessConformance<ReactorFixture>;

public sealed class ReactorLeakTests : LeakConformance<ReactorFixture>;

public sealed class ReactorSignalTests : SignalConformance<ReactorFixture>;

public sealed class ReactorFileTests : FileConformance<ReactorFixture>;
