using System.Net;
using System.Net.Sockets;
using AnyNet.Internal;

namespace AnyNet;

/// <summary>Listening on several addresses at once, and serving several listeners.</summary>
public static class ListenerExtensions
{
    // IPPROTO_IPV6 and IPV6_V6ONLY on Linux (ipv6(7)).
    private const int IpProtoIpv6 = 41;
    private const int Ipv6V6Only = 26;

    /// <summary>
    /// Listens on every IPv4 and IPv6 address on <paramref name="port"/> (0: a free one), as <c>tcp:PORT</c> does: one
    /// dual-stack socket on <c>[::]</c> where the system makes it so (Linux by default, <c>net.ipv6.bindv6only = 0</c>,
    /// ipv6(7)), otherwise <c>[::]</c> and <c>0.0.0.0</c> on the same port as a <see cref="MultiListener"/>; only
    /// <c>0.0.0.0</c> on a backend or machine without IPv6.
    /// </summary>
    /// <exception cref="SocketException">The port could not be bound (in use); the message names the address.</exception>
    public static ISocketListener ListenTcpEverywhere(this IAsyncBackend backend, int port, ListenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        if (!backend.Capabilities.HasFlag(BackendCapabilities.Ipv6))
        {
            return backend.ListenTcp(new IPEndPoint(IPAddress.Any, port), options);
        }

        ISocketListener v6;
        try
        {
            v6 = backend.ListenTcp(new IPEndPoint(IPAddress.IPv6Any, port), options);
        }
        catch (SocketException error) when (error.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable)
        {
            return backend.ListenTcp(new IPEndPoint(IPAddress.Any, port), options);
        }

        bool? v6Only = null;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                v6Only = v6.GetOption(IpProtoIpv6, Ipv6V6Only) != 0;
            }
            catch (NotSupportedException)
            {
                // A backend without socket options: find out by binding IPv4 below.
            }
        }

        if (v6Only == false)
        {
            return v6;
        }

        try
        {
            ISocketListener v4 = backend.ListenTcp(new IPEndPoint(IPAddress.Any, ((IPEndPoint)v6.LocalEndPoint).Port), options);
            return new MultiListener([v6, v4]);
        }
        catch (SocketException error) when (v6Only is null && error.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            // The IPv6 socket is dual-stack: it already holds the port for IPv4.
            return v6;
        }
        catch
        {
            v6.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>
    /// Listens on each of <paramref name="addresses"/> on <paramref name="port"/>. With port 0 the first address gets a
    /// free port and the others are bound to that same port. One address gives its listener, several a <see cref="MultiListener"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No address.</exception>
    /// <exception cref="SocketException">An address could not be bound; the listeners already bound are closed.</exception>
    public static ISocketListener ListenTcp(this IAsyncBackend backend, IEnumerable<IPAddress> addresses, int port, ListenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        IPAddress[] distinct = [.. addresses.Distinct()];
        if (distinct.Length == 0)
        {
            throw new ArgumentException("There is no address to listen on.", nameof(addresses));
        }

        var listeners = new List<ISocketListener>(distinct.Length);
        try
        {
            foreach (IPAddress address in distinct)
            {
                ISocketListener listener = backend.ListenTcp(new IPEndPoint(address, port), options);
                listeners.Add(listener);
                port = ((IPEndPoint)listener.LocalEndPoint).Port;
            }
        }
        catch
        {
            foreach (ISocketListener listener in listeners)
            {
                listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            throw;
        }

        return listeners.Count == 1 ? listeners[0] : new MultiListener(listeners);
    }

    /// <summary>
    /// Listens on every address <paramref name="host"/> resolves to (AnyIO's <c>create_tcp_listener(local_host=...)</c>),
    /// on <paramref name="port"/>: with 0, the first address gets a free port and the others use the same one.
    /// </summary>
    /// <exception cref="NameResolutionException">The host does not resolve.</exception>
    /// <exception cref="SocketException">An address could not be bound; the listeners already bound are closed.</exception>
    public static async ValueTask<ISocketListener> ListenTcpAsync(this IAsyncBackend backend, string host, int port, ListenOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        AddressFamily family = backend.Capabilities.HasFlag(BackendCapabilities.Ipv6) ? AddressFamily.Unspecified : AddressFamily.InterNetwork;
        IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal) ? [literal] : await backend.ResolveAsync(host, family, cancellationToken);
        return backend.ListenTcp(addresses, port, options);
    }

    /// <summary>
    /// Serves every listener at once: one accept loop per listener and every handler in one task group, with the
    /// semantics of <see cref="AsyncBackendExtensions.ServeAsync{TStream}"/> (cancel: stop and close everything; dispose
    /// the listeners: stop accepting and drain).
    /// </summary>
    /// <exception cref="TaskGroupException">A handler failed, or accepting failed.</exception>
    public static Task ServeAsync<TStream>(this IEnumerable<IListener<TStream>> listeners, Func<TStream, CancellationToken, Task> handler, CancellationToken cancellationToken = default)
        where TStream : IAsyncDisposable
    {
        ArgumentNullException.ThrowIfNull(listeners);
        ArgumentNullException.ThrowIfNull(handler);
        IListener<TStream>[] all = [.. listeners];
        if (all.Length == 0 || Array.IndexOf(all, null) >= 0)
        {
            throw new ArgumentException("ServeAsync needs at least one listener and no null one.", nameof(listeners));
        }

        return TaskGroup.RunAsync(group =>
        {
            foreach (IListener<TStream> listener in all)
            {
                group.Start(async _ =>
                {
                    while (true)
                    {
                        TStream stream;
                        try
                        {
                            stream = await listener.AcceptAsync(group.Token);
                        }
                        catch (ClosedResourceException) when (!group.IsCancellationRequested)
                        {
                            return;
                        }

                        group.StartOn(LoopAffinity.Of(stream), async token =>
                        {
                            await using (stream)
                            {
                                await handler(stream, token);
                            }
                        });
                    }
                });
            }

            return Task.CompletedTask;
        }, cancellationToken);
    }
}
