using AnyNet.Conformance;

// The OS-facing areas (subprocesses, signals, files, attributes, leaks) on the tasks backend.
namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksProcessTests : ProcessConformance<TasksFixture>;

public sealed class TasksLeakTests : LeakConformance<TasksFixture>;

public sealed class TasksSignalTests : SignalConformance<TasksFixture>;

public sealed class TasksFileTests : FileConformance<TasksFixture>;
