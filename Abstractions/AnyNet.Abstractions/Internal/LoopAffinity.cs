namespace AnyNet.Internal;

/// <summary>Finds the loop a stream belongs to, so that servers can run its handler there.</summary>
internal static class LoopAffinity
{
    /// <summary>
    /// The <see cref="TypedAttributes.LoopContext"/> of <paramref name="stream"/>, or null (the caller's own scheduler)
    /// when it has none, is not an attribute provider, or the caller is not on a loop. Never throws: a stream that cannot answer is served where the
    /// server runs, which is always correct, only slower on a backend with several loops.
    /// </summary>
    public static SynchronizationContext? Of(object? stream)
    {
        // Only a server running on a loop can be on a backend with loops; elsewhere (the thread pool of the tasks
        // backend) nothing is asked, so a socket is not made to compute attributes it may have to expose a handle for.
        if (stream is not ITypedAttributeProvider provider || SynchronizationContext.Current is not Backends.LoopSynchronizationContext)
        {
            return null;
        }

        try
        {
            return provider.TryGetAttribute(TypedAttributes.LoopContext, out SynchronizationContext? context) ? context : null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }
}
