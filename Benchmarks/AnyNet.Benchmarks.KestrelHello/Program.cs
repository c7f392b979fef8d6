using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// GET /plaintext -> "Hello, World!" on Kestrel, the TechEmpower plaintext shape, with logging off so that the
// comparison with HttpHello measures the server and not the console.
// usage: AnyNet.Benchmarks.KestrelHello [--port 0]
int port = args.Length == 2 && args[0] == "--port" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
WebApplication app = builder.Build();
app.MapGet("/plaintext", () => Results.Text("Hello, World!", "text/plain"));
await app.StartAsync();
string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"Kestrel listening on {new Uri(address).Authority}");
await app.WaitForShutdownAsync();
