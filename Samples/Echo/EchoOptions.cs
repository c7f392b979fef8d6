using System.Net;

namespace AnyNet.Samples.Echo;

internal sealed record EchoOptions(string Mode, string Backend, string Host, int Port, string Message)
{
    public const string Usage = "usage: Echo [demo|server|client] [--backend tasks|reactor|libuv] [--host H] [--port P] [--message TEXT]";

    public static EchoOptions? Parse(string[] args)
    {
        string mode = "demo", backend = "tasks", host = "127.0.0.1", message = "hello, AnyNet";
        int port = 7000;
        for (int i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "demo" or "server" or "client": mode = args[i]; break;
                case "--backend": backend = Next() ?? ""; break;
                case "--host": host = Next() ?? ""; break;
                case "--port" when int.TryParse(Next(), out int p) && p is > 0 and <= IPEndPoint.MaxPort: port = p; break;
                case "--message": message = Next() ?? ""; break;
                default: return null;
            }
        }

        return BackendFactory.Names.Contains(backend) && host.Length > 0 ? new EchoOptions(mode, backend, host, port, message) : null;
    }
}
