// A generic-host echo server: the backend and the endpoints come from appsettings.json, the environment
// (AnyNet__Backend=tasks) or the command line (--backend tasks, --HostedEcho:Endpoints:0=unix:/tmp/echo.sock).
// Ctrl-C stops accepting, gives open connections AnyNet:DrainTimeout to finish, then closes the rest.
using AnyNet.Backends.Libuv;
using AnyNet.Backends.Reactor;
using AnyNet.Backends.Tasks;
using AnyNet.Hosting;
using AnyNet.Samples.HostedEcho;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--backend"] = "AnyNet:Backend" });

// Every backend the application ships is registered by name; AnyNet:Backend picks one at start-up.
builder.AddAnyNet()
    .AddBackend("tasks", _ => new TasksBackend())
    .AddBackend("reactor", _ => new ReactorBackend())
    .AddBackend("libuv", _ => new LibuvBackend());

string[] endpoints = builder.Configuration.GetSection("HostedEcho:Endpoints").Get<string[]>() ?? ["tcp:127.0.0.1:7000"];
foreach (string endpoint in endpoints)
{
    builder.AddAnyNetServer<EchoHandler>(endpoint);
}

await builder.Build().RunAsync();
