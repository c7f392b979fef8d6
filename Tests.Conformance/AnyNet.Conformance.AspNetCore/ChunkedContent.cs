using System.Net;

namespace AnyNet.Conformance.AspNetCore;

/// <summary>A request body of unknown length (sent chunked) that writes <see cref="Length"/> bytes in pieces and counts what left.</summary>
internal sealed class ChunkedContent(byte[]? data, long length, int chunk) : HttpContent
{
    private long _written;

    public long Length { get; } = length;

    public long Written => Interlocked.Read(ref _written);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        byte[] filler = new byte[chunk];
        for (long offset = 0; offset < Length; offset += chunk)
        {
            int size = (int)Math.Min(chunk, Length - offset);
            ReadOnlyMemory<byte> piece = data is null ? filler.AsMemory(0, size) : data.AsMemory((int)offset, size);
            await stream.WriteAsync(piece);
            await stream.FlushAsync();
            Interlocked.Add(ref _written, size);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
