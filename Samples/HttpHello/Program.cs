using System.Net;
using AnyNet;
using AnyNet.Samples;
using AnyNet.Samples.HttpHello;

// HttpHello: GET /plaintext -> "Hello, World!" over HTTP/1.1 with keep-alive and pipelining.
const string Usage = "usage: HttpHello [--backend tasks|reactor|libuv] [--host 127.0.0.1] [--port 8080] [--request-timeout MS] [--keepalive-timeout MS] [--max-header-bytes N]";
return await SampleMain.RunAsync(args, Usage, async (line, backend, token) =>
{
    var endPoint = new IPEndPoint(IPAddress.Parse(line.Get("host", "127.0.0.1")), line.GetInt("port", 8080, 0, IPEndPoint.MaxPort));
    var defaults = new HttpOptions();
    var options = defaults with
    {
        RequestTimeout = line.GetMilliseconds("request-timeout", defaults.RequestTimeout),
        KeepAliveTimeout = line.GetMilliseconds("keepalive-timeout", defaults.KeepAliveTimeout),
        MaxHeaderBytes = line.GetInt("max-header-bytes", defaults.MaxHeaderBytes, 256),
    };
    line.ThrowOnUnknown();
    await using ISocketListener listener = backend.ListenTcp(endPoint, new ListenOptions { Backlog = 4096 });
    await SampleMain.AnnounceAsync("HttpHello", listener.LocalEndPoint, backend.Name);
    await new HttpServer(backend, options).ServeAsync(listener, token);
});
