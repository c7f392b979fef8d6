namespace AnyNet.Benchmarks.Micro;

/// <summary>The backends present in this build, for <c>[ParamsSource]</c>.</summary>
internal static class BackendNames
{
    /// <summary>Every AnyNet backend that can be constructed now; missing ones are reported once on stderr.</summary>
    public static IEnumerable<string> Available()
    {
        foreach (string name in BackendCatalog.Names)
        {
            IAsyncBackend? backend = BackendCatalog.TryCreate(name, out string? reason);
            if (backend is null)
            {
                Console.Error.WriteLine($"micro: skipping backend {name}: {reason}");
                continue;
            }

            backend.Dispose();
            yield return name;
        }
    }

    public static IAsyncBackend Create(string name) =>
        BackendCatalog.TryCreate(name, out string? reason) ?? throw new InvalidOperationException(reason);
}
