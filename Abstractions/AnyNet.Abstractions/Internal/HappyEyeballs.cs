using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AnyNet.Diagnostics;
using AnyNet.Diagnostics.Internal;

namespace AnyNet.Internal;

/// <summary>
/// RFC 8305 connection racing: addresses interleaved by family (the resolver's first family first), a new attempt
/// every 250 ms or as soon as the previous one fails, the first success wins and the rest are cancelled.
/// </summary>
internal static class HappyEyeballs
{
    internal static readonly TimeSpan AttemptDelay = TimeSpan.FromMilliseconds(250);

    public static async Task<ISocketStream> ConnectAsync(IAsyncBackend backend, string host, IPAddress[] addresses, int port, CancellationToken cancellationToken)
    {
        IPAddress[] ordered = Interleave(addresses);
        var failures = new List<Exception>();
        var gate = new Lock();
        ISocketStream? winner = null;

        await TaskGroup.RunAsync(async group =>
        {
            foreach (IPAddress address in ordered)
            {
                var attemptFailed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                group.Start(async token =>
                {
                    ISocketStream stream;
                    try
                    {
                        stream = await AttemptAsync(backend, new IPEndPoint(address, port), token);
                    }
                    catch (Exception error) when (error is not OperationCanceledException || !token.IsCancellationRequested)
                    {
                        lock (gate)
                        {
                            failures.Add(error);
                        }

                        attemptFailed.TrySetResult();
                        return;
                    }

                    bool won;
                    lock (gate)
                    {
                        won = winner is null;
                        winner ??= stream;
                    }

                    if (won)
                    {
                        group.Cancel();
                    }
                    else
                    {
                        await stream.DisposeAsync();
                    }
                });

                Task delay = Task.Delay(AttemptDelay, backend.TimeProvider, group.Token);
                await Task.WhenAny(delay, attemptFailed.Task);
                if (group.IsCancellationRequested)
                {
                    return;
                }
            }
        }, cancellationToken);

        if (winner is not null)
        {
            return winner;
        }

        string attempts = string.Join("; ", failures.Select(f => f.Message));
        SocketError code = failures.OfType<SocketException>().FirstOrDefault()?.SocketErrorCode ?? SocketError.HostUnreachable;
        throw new SocketException((int)code, $"Could not connect to {host}:{port} on any of its {ordered.Length} addresses: {attempts}");
    }

    /// <summary>One connect to one address, traced as its own span under the connect's span.</summary>
    public static async ValueTask<ISocketStream> AttemptAsync(IAsyncBackend backend, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        using Activity? activity = Telemetry.Source.StartActivity(AnyNetTelemetry.ConnectAttemptActivity, ActivityKind.Client);
        activity?.SetTag(AnyNetTelemetry.PeerAddressTag, endPoint.Address.ToString())
            .SetTag(AnyNetTelemetry.NetworkTypeTag, Telemetry.NetworkType(endPoint.Address));
        try
        {
            return await backend.ConnectTcpAsync(endPoint, cancellationToken);
        }
        catch (Exception error)
        {
            Telemetry.Fail(activity, error);
            throw;
        }
    }

    private static IPAddress[] Interleave(IPAddress[] addresses)
    {
        AddressFamily first = addresses[0].AddressFamily;
        var preferred = new Queue<IPAddress>(addresses.Where(a => a.AddressFamily == first));
        var other = new Queue<IPAddress>(addresses.Where(a => a.AddressFamily != first));
        var result = new List<IPAddress>(addresses.Length);
        while (preferred.Count > 0 || other.Count > 0)
        {
            if (preferred.TryDequeue(out IPAddress? p))
            {
                result.Add(p);
            }

            if (other.TryDequeue(out IPAddress? o))
            {
                result.Add(o);
            }
        }

        return [.. result];
    }
}
