namespace AnyNet.Samples;

/// <summary>
/// Wraps a per-connection handler so that one connection's failure closes that connection only.
/// <c>ServeAsync</c> fails the whole server when a handler throws (AnyIO's rule), which is right for bugs in a test
/// but wrong for a server facing clients that reset connections.
/// </summary>
internal static class ConnectionGuard
{
    public static Func<TStream, CancellationToken, Task> Wrap<TStream>(string sample, Func<TStream, CancellationToken, Task> handler) =>
        async (stream, token) =>
        {
            try
            {
                await handler(stream, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (IsDisconnect(e))
            {
                // The peer went away (BrokenResourceException is an IOException) or the stream was closed: normal.
            }
            catch (Exception e)
            {
                await Console.Error.WriteLineAsync($"{sample}: connection failed: {e.GetType().Name}: {e.Message}");
            }
        };

    /// <summary>The peer went away or the stream was closed, directly or inside a task group's combined error.</summary>
    public static bool IsDisconnect(Exception e) => e switch
    {
        IOException or ObjectDisposedException or OperationCanceledException => true,
        AggregateException group => group.InnerExceptions.All(IsDisconnect) && group.InnerExceptions.Any(i => i is not OperationCanceledException),
        _ => false,
    };
}
