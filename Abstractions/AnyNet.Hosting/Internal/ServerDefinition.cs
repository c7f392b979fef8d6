namespace AnyNet.Hosting.Internal;

/// <summary>What a call to <c>AddAnyNetServer</c> registered: the checked options and how to run a connection. Also the key of the server's service.</summary>
internal sealed class ServerDefinition(AnyNetEndPoint endPoint, AnyNetServerOptions options, Func<IServiceProvider, ISocketStream, CancellationToken, Task> handler)
{
    public AnyNetEndPoint EndPoint { get; } = endPoint;

    public AnyNetServerOptions Options { get; } = options;

    public Func<IServiceProvider, ISocketStream, CancellationToken, Task> Handler { get; } = handler;
}
