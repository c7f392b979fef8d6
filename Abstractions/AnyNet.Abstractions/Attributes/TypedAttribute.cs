namespace AnyNet;

/// <summary>
/// The key of a typed attribute (AnyIO's <c>TypedAttributeProvider.extra()</c>): a name and the type of its value.
/// Keys compare by reference, so a wrapper library can define its own keys without clashing with anyone's.
/// The well-known keys are in <see cref="TypedAttributes"/>.
/// </summary>
/// <typeparam name="T">The type of the attribute's value.</typeparam>
public sealed class TypedAttribute<T>
{
    /// <summary>Creates a key.</summary>
    /// <param name="name">A name for messages, for example <c>"RawHandle"</c>.</param>
    public TypedAttribute(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The name, for messages.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({typeof(T).Name})";
}
