using System.Net;
using AnyNet;
using AnyNet.Samples;
using AnyNet.Samples.Chat;

// Chat: a line-based chat room; every line goes to all other clients.
const string Usage = "usage: Chat [--backend tasks|reactor|libuv] [--host 127.0.0.1] [--port 7070] [--queue 64] [--max-line 4096]";
return await SampleMain.RunAsync(args, Usage, async (line, backend, token) =>
{
    var endPoint = new IPEndPoint(IPAddress.Parse(line.Get("host", "127.0.0.1")), line.GetInt("port", 7070, 0, IPEndPoint.MaxPort));
    int queue = line.GetInt("queue", 64, 1);
    int maxLine = line.GetInt("max-line", 4096, 16);
    line.ThrowOnUnknown();
    var room = new ChatRoom(Console.Out);
    var server = new ChatServer(room, queue, maxLine);
    await using ISocketListener listener = backend.ListenTcp(endPoint);
    await SampleMain.AnnounceAsync("Chat", listener.LocalEndPoint, backend.Name);
    await listener.ServeAsync(ConnectionGuard.Wrap<ISocketStream>("Chat", server.HandleAsync), token);
});
