using System.Diagnostics.CodeAnalysis;

namespace AnyNet;

/// <summary>A listening TCP or Unix stream socket, with typed attributes and socket options.</summary>
public interface ISocketListener : IListener<ISocketStream>, ITypedAttributeProvider, ISocketOptions
{
    /// <summary>
    /// The default for a backend without <see cref="BackendCapabilities.TypedAttributes"/>: only the local endpoint.
    /// The built-in backends also answer <see cref="TypedAttributes.RawHandle"/>.
    /// </summary>
    bool ITypedAttributeProvider.TryGetAttribute<T>(TypedAttribute<T> attribute, [MaybeNullWhen(false)] out T value)
    {
        if (ReferenceEquals(attribute, TypedAttributes.LocalEndPoint))
        {
            value = (T)(object)LocalEndPoint;
            return true;
        }

        value = default;
        return false;
    }
}
