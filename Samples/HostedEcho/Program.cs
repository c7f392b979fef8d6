// A generic-host echo server: the backend and the endpoints come from appsettings.json, the environment
// (AnyNet__Backend=tasks) or the command line (--backend tasks, --HostedEcho:Endpoints:0=unix:/tmp/echo.sock).
// Ctrl-C stops accepting, gives open connections AnyNet:DrainTimeout to finish, then closes the rest.
// Bad configuration (an endpoint, a backend name, a port in use) prints one line naming the key and exits with 1.
using AnyNet.Backends.Libuv;
using AnyNet.Backends.Reactor;
using AnyNet.Backends.Tasks;
using AnyNet.Hosting;
using AnyNet.Samples.HostedEcho;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

return await AnyNetHost.RunAsync(() =>
{
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

    builder.AddAnyNetServers<EchoHandler>("HostedEcho:Endpoints", ["tcp:127.0.0.1:7000"]);
    return builder.Build();
});
