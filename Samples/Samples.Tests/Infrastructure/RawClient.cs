using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AnyNet.Samples.Tests.Infrastructure;

/// <summary>A plain System.Net.Sockets client for exact-byte protocol checks, with a time limit on every read.</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private static readonly TimeSpan s_readTimeout = TimeSpan.FromSeconds(15);
    private readonly Socket _socket;
    private readonly List<byte> _pending = [];

    private RawClient(Socket socket) => _socket = socket;

    public Socket Socket => _socket;

    public static async Task<RawClient> ConnectAsync(int port, int receiveBufferSize = 0)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize > 0)
        {
            socket.ReceiveBufferSize = receiveBufferSize;
        }

        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawClient(socket);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes);

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads until <paramref name="text"/> has arrived; returns everything up to and including it.</summary>
    public async Task<string> ReadUntilAsync(string text)
    {
        byte[] needle = Encoding.UTF8.GetBytes(text);
        while (true)
        {
            int at = IndexOf(needle);
            if (at >= 0)
            {
                string result = Encoding.UTF8.GetString([.. _pending.GetRange(0, at + needle.Length)]);
                _pending.RemoveRange(0, at + needle.Length);
                return result;
            }

            if (await FillAsync() == 0)
            {
                throw new EndOfStreamException($"the connection ended before \"{text}\"; got \"{Encoding.UTF8.GetString([.. _pending])}\"");
            }
        }
    }

    /// <summary>Reads until the server closes; returns the rest.</summary>
    public async Task<string> ReadToEndAsync()
    {
        try
        {
            while (await FillAsync() > 0)
            {
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // A close with unread data arrives as a reset: still the end.
        }

        string result = Encoding.UTF8.GetString([.. _pending]);
        _pending.Clear();
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        await Task.CompletedTask;
    }

    private async Task<int> FillAsync()
    {
        byte[] buffer = new byte[65536];
        using var limit = new CancellationTokenSource(s_readTimeout);
        int n;
        try
        {
            n = await _socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no data within {s_readTimeout}; have \"{Encoding.UTF8.GetString([.. _pending])}\"");
        }

        _pending.AddRange(buffer.AsSpan(0, n));
        return n;
    }

    private int IndexOf(byte[] needle)
    {
        for (int i = 0; i + needle.Length <= _pending.Count; i++)
        {
            int j = 0;
            while (j < needle.Length && _pending[i + j] == needle[j])
            {
                j++;
            }

            if (j == needle.Length)
            {
                return i;
            }
        }

        return -1;
    }
}
