namespace AnyNet.Samples.Tests.Infrastructure;

/// <summary>The backends every sample test runs on.</summary>
public static class TestBackends
{
    public static TheoryData<string> All => new() { "tasks", "reactor", "libuv" };
}
