using AnyNet.Conformance;
using Xunit;

namespace AnyNet.Conformance.Tests.Tasks;

public sealed class TasksCoverageTests
{
    [Fact]
    public void Every_conformance_area_has_a_class_for_the_tasks_backend() =>
        ConformanceCoverage.AssertEveryAreaCovered<TasksFixture>(typeof(TasksCoverageTests).Assembly);
}
