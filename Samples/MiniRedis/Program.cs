using System.Net;
using AnyNet;
using AnyNet.Samples;
using AnyNet.Samples.MiniRedis;

// MiniRedis: a RESP2 server for redis-cli and redis-benchmark.
const string Usage = "usage: MiniRedis [--backend tasks|reactor|libuv] [--host 127.0.0.1] [--port 6379] [--max-bulk BYTES]";
return await SampleMain.RunAsync(args, Usage, async (line, backend, token) =>
{
    var endPoint = new IPEndPoint(IPAddress.Parse(line.Get("host", "127.0.0.1")), line.GetInt("port", 6379, 0, IPEndPoint.MaxPort));
    var options = new RedisOptions { MaxBulkLength = line.GetInt("max-bulk", 64 * 1024 * 1024, 1) };
    line.ThrowOnUnknown();
    await using ISocketListener listener = backend.ListenTcp(endPoint);
    await SampleMain.AnnounceAsync("MiniRedis", listener.LocalEndPoint, backend.Name);
    await new RedisServer(backend, options, ((IPEndPoint)listener.LocalEndPoint).Port).ServeAsync(listener, token);
});
