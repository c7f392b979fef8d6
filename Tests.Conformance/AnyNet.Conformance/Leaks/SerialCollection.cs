namespace AnyNet.Conformance;

/// <summary>
/// The name of the xunit collection for tests that count process-wide resources. A runner assembly defines it once:
/// <c>[CollectionDefinition(SerialCollection.Name, DisableParallelization = true)] public sealed class Serial;</c>
/// </summary>
public static class SerialCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "AnyNet serial: process-wide resource counts";
}
