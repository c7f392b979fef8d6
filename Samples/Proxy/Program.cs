using AnyNet;
using AnyNet.Samples;
using AnyNet.Samples.Proxy;

// Proxy: a TCP forwarder from --listen to --target.
const string Usage = "usage: Proxy [--backend tasks|reactor|libuv] --target HOST:PORT [--listen 127.0.0.1:0]";
return await SampleMain.RunAsync(args, Usage, async (line, backend, token) =>
{
    System.Net.IPEndPoint listen = SampleCommandLine.ParseEndPoint(line.Get("listen", "127.0.0.1:0"));
    string target = line.GetOptional("target") ?? throw new ArgumentException("--target HOST:PORT is required");
    int colon = target.LastIndexOf(':');
    if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), out int targetPort) || targetPort is < 1 or > 65535)
    {
        throw new ArgumentException($"--target must be HOST:PORT, not '{target}'");
    }

    line.ThrowOnUnknown();
    var forwarder = new TcpForwarder(backend, target[..colon].Trim('[', ']'), targetPort);
    await using ISocketListener listener = backend.ListenTcp(listen, new ListenOptions { Backlog = 4096 });
    await SampleMain.AnnounceAsync($"Proxy to {target}", listener.LocalEndPoint, backend.Name);
    await listener.ServeAsync(ConnectionGuard.Wrap<ISocketStream>("Proxy", forwarder.HandleAsync), token);
});
