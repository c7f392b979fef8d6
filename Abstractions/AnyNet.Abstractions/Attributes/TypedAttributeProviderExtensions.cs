namespace AnyNet;

/// <summary>The throwing and defaulting forms of <see cref="ITypedAttributeProvider.TryGetAttribute{T}"/>.</summary>
public static class TypedAttributeProviderExtensions
{
    /// <summary>Returns the attribute's value.</summary>
    /// <exception cref="KeyNotFoundException">The object does not have the attribute; the message names it and the object's type.</exception>
    /// <exception cref="ClosedResourceException">The object was closed.</exception>
    public static T GetAttribute<T>(this ITypedAttributeProvider provider, TypedAttribute<T> attribute)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(attribute);
        if (provider.TryGetAttribute(attribute, out T? value))
        {
            return value;
        }

        throw new KeyNotFoundException($"This {provider.GetType().Name} has no typed attribute '{attribute}'.");
    }

    /// <summary>Returns the attribute's value, or <paramref name="defaultValue"/> if the object does not have it.</summary>
    /// <exception cref="ClosedResourceException">The object was closed.</exception>
    public static T GetAttribute<T>(this ITypedAttributeProvider provider, TypedAttribute<T> attribute, T defaultValue)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(attribute);
        return provider.TryGetAttribute(attribute, out T? value) ? value : defaultValue;
    }
}
