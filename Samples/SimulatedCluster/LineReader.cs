using System.Text;

namespace AnyNet.Samples.SimulatedCluster;

/// <summary>Reads newline-terminated ASCII lines from a byte stream.</summary>
public sealed class LineReader(IByteReceiveStream stream)
{
    private readonly byte[] _buffer = new byte[4096];
    private readonly StringBuilder _line = new();

    /// <summary>The next line without its newline, or null at the end of the stream.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            string text = _line.ToString();
            int newline = text.IndexOf('\n', StringComparison.Ordinal);
            if (newline >= 0)
            {
                _line.Remove(0, newline + 1);
                return text[..newline];
            }

            int n = await stream.ReceiveAsync(_buffer, cancellationToken);
            if (n == 0)
            {
                return null;
            }

            _line.Append(Encoding.ASCII.GetString(_buffer, 0, n));
        }
    }
}
