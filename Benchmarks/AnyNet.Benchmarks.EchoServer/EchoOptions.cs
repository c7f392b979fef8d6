using System.Net;

namespace AnyNet.Benchmarks.EchoServer;

/// <summary>What the echo server was asked to do on its command line.</summary>
internal sealed record EchoOptions
{
    public string Server { get; init; } = "tasks";

    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>
    /// False: each connection owns one receive buffer for its lifetime (the fastest loop). True: wait for data with a
    /// zero-length receive and rent a buffer only while bytes are in hand, so an idle connection holds no buffer.
    /// </summary>
    public bool ZeroRead { get; init; }

    public int BufferSize { get; init; } = 16 * 1024;

    public static EchoOptions Parse(string[] args)
    {
        var options = new EchoOptions();
        IPAddress address = IPAddress.Loopback;
        int port = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--server": options = options with { Server = value }; break;
                case "--port": port = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "--address": address = IPAddress.Parse(value); break;
                case "--read":
                    options = options with
                    {
                        ZeroRead = value switch
                        {
                            "zero" => true,
                            "direct" => false,
                            _ => throw new ArgumentException("--read is direct or zero"),
                        },
                    };
                    break;
                case "--buffer": options = options with { BufferSize = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) }; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }

            i++;
        }

        return options with { EndPoint = new IPEndPoint(address, port) };
    }
}
