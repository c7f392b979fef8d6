namespace AnyNet.Backends.Reactor.Internal;

internal static class LoopTasks
{
    public static async Task<bool> WithResult(ValueTask operation)
    {
        await operation;
        return true;
    }
}
