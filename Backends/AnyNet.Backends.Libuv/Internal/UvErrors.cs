using System.Net;
using System.Net.Sockets;
using AnyNet.Backends.Libuv.Interop;

namespace AnyNet.Backends.Libuv.Internal;

/// <summary>Maps libuv status codes (negated errno on Linux) to the exceptions every AnyNet backend raises.</summary>
internal static class UvErrors
{
    /// <summary>A <see cref="SocketException"/> for a failed setup call, naming the libuv error and the endpoint.</summary>
    public static SocketException Exception(int status, string operation, EndPoint? endPoint = null)
    {
        SocketException inner = SocketErrors.Exception(-status, operation, endPoint);
        return new SocketException((int)inner.SocketErrorCode, $"{inner.Message} [libuv {Uv.ErrorName(status)}]");
    }

    /// <summary>The failure of an established stream or socket: <see cref="BrokenResourceException"/> around the OS error.</summary>
    public static BrokenResourceException Broken(int status, string operation) => SocketErrors.Broken(Exception(status, operation));

    public static ClosedResourceException Closed(string what) => new($"The {what} was closed.");
}
