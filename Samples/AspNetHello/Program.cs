// ASP.NET Core on AnyNet: a minimal API served by Kestrel over any AnyNet backend.
//   dotnet run --project Samples/AspNetHello -c Release -- --backend reactor [--port 5000] [--https-port 5001] [--unix /tmp/hello.sock]
// --backend tasks|reactor|libuv picks the AnyNet backend (the same as AnyNet:Backend in configuration);
// --backend kestrel runs Kestrel's own Sockets transport instead, for comparison.
using System.Net;
using System.Net.WebSockets;
using AnyNet.AspNetCore;
using AnyNet.Samples.AspNetHello;

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
{
    ["--backend"] = "AnyNet:Backend",
    ["--loops"] = "AnyNet:Loops",
    ["--port"] = "Hello:Port",
    ["--https-port"] = "Hello:HttpsPort",
    ["--unix"] = "Hello:Unix",
    ["--inline"] = "Hello:Inline",
});
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("AnyNet.AspNetCore", LogLevel.Information);

string backend = builder.Configuration["AnyNet:Backend"] ?? "tasks";
// --inline true: run Kestrel and the handlers on the I/O thread (UnsafePreferInlineScheduling), for either transport.
bool inline = builder.Configuration.GetValue("Hello:Inline", false);
if (!string.Equals(backend, "kestrel", StringComparison.OrdinalIgnoreCase))
{
    // The one line: Kestrel accepts through the AnyNet backend named by AnyNet:Backend.
    builder.WebHost.UseAnyNet(options => options.UnsafePreferInlineScheduling |= inline);
}
else
{
    builder.WebHost.UseSockets(options => options.UnsafePreferInlineScheduling = inline);
}

int port = builder.Configuration.GetValue("Hello:Port", 5000);
int httpsPort = builder.Configuration.GetValue("Hello:HttpsPort", 5001);
string? unixPath = builder.Configuration["Hello:Unix"];
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Listen(IPAddress.Loopback, port);
    if (httpsPort > 0)
    {
        // Kestrel's own TLS (SslStream) over the AnyNet transport; HTTP/1.1 and HTTP/2 chosen by ALPN.
        kestrel.Listen(IPAddress.Loopback, httpsPort, listen =>
        {
            listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2;
            listen.UseHttps(SelfSignedCertificate.Create("localhost"));
        });
    }

    if (!string.IsNullOrEmpty(unixPath))
    {
        File.Delete(unixPath);
        kestrel.ListenUnixSocket(unixPath);
    }
});
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, HelloJsonContext.Default));

WebApplication app = builder.Build();
app.UseWebSockets();

app.MapGet("/plaintext", () => Results.Text("Hello, World!"));
app.MapGet("/json", () => new Greeting("Hello, World!"));
app.MapPost("/echo", async (HttpContext context) =>
{
    // Streams the body back as it arrives: nothing is held beyond one buffer.
    context.Response.ContentType = context.Request.ContentType ?? "application/octet-stream";
    await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
});
app.Map("/ws", async (HttpContext context) =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
    byte[] buffer = new byte[16 * 1024];
    while (true)
    {
        WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, context.RequestAborted);
        if (received.MessageType == WebSocketMessageType.Close)
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
            return;
        }

        await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
    }
});

app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"AspNetHello on {(app.Services.GetService<AnyNetConnectionListenerFactory>() is { } t ? $"AnyNet '{t.Backend.Name}' ({t.LoopCount} loop(s))" : "Kestrel's Sockets transport")}: http://127.0.0.1:{port}"
        + (httpsPort > 0 ? $", https://127.0.0.1:{httpsPort}" : string.Empty) + (string.IsNullOrEmpty(unixPath) ? string.Empty : $", unix:{unixPath}")));
await app.RunAsync();
