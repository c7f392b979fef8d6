using AnyNet.Conformance;

// The OS-facing areas (subprocesses, signals, files, attributes, leaks) on the libuv backend.
namespace AnyNet.Conformance.Tests.Libuv;

public sealed class LibuvProcessTests : ProcessConformance<LibuvFixture>;

public sealed class LibuvLeakTests : LeakConformance<LibuvFixture>;

public sealed class LibuvSignalTests : SignalConformance<LibuvFixture>;

public sealed class LibuvFileTests : FileConformance<LibuvFixture>;
