using System.Diagnostics.CodeAnalysis;

namespace AnyNet;

/// <summary>
/// Something that can be asked for typed attributes (AnyIO's <c>extra()</c>): a socket stream, a listener, or a
/// wrapper over one.
/// </summary>
/// <remarks>
/// A wrapper (TLS, buffering, framing) answers the keys it adds and forwards every other key to its inner stream, so an
/// attribute of the socket at the bottom (its raw handle, its peer credentials) can be read through every layer:
/// <code>
/// public bool TryGetAttribute&lt;T&gt;(TypedAttribute&lt;T&gt; attribute, [MaybeNullWhen(false)] out T value)
/// {
///     if (ReferenceEquals(attribute, MyAttributes.Thing)) { value = (T)(object)_thing; return true; }
///     return TypedAttributes.Forward(_inner, attribute, out value);
/// }
/// </code>
/// Use <see cref="TypedAttributeProviderExtensions.GetAttribute{T}(ITypedAttributeProvider, TypedAttribute{T})"/> for
/// the throwing form.
/// </remarks>
public interface ITypedAttributeProvider
{
    /// <summary>Looks up <paramref name="attribute"/>.</summary>
    /// <returns>False if this object (and what it wraps) does not have the attribute.</returns>
    /// <exception cref="ClosedResourceException">The object was closed (its handle no longer exists).</exception>
    bool TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value);
}
