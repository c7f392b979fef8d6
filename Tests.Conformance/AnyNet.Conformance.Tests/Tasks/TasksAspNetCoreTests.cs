using AnyNet.Conformance.AspNetCore;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksAspNetCoreTests : AspNetCoreConformance<TasksFixture>;
