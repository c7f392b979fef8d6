using AnyNet;
using AnyNet.Samples.Echo;

// Echo: `demo` (default) starts a server, runs a few clients against it concurrently, prints what happened and exits;
// `server` serves until Ctrl-C; `client` sends its arguments to a server and prints the echo.
var options = EchoOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(EchoOptions.Usage);
    return 2;
}

await using IAsyncBackend backend = BackendFactory.Create(options.Backend);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    await (options.Mode switch
    {
        "server" => backend.RunAsync(token => EchoServer.ServeAsync(backend, options.Port, Console.Out, token), stop.Token),
        "client" => backend.RunAsync(token => EchoClient.RunAsync(backend, options.Host, options.Port, options.Message, Console.Out, token), stop.Token),
        _ => backend.RunAsync(token => Demo.RunAsync(backend, Console.Out, token), stop.Token),
    });
    return 0;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 0;
}
