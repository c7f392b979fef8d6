namespace AnyNet.Backends.Simulated.Internal;

/// <summary>A first-in first-out queue of bytes, kept as the chunks they arrived in.</summary>
internal sealed class ByteQueue
{
    private readonly Queue<byte[]> _chunks = new();
    private int _offset;

    public int Count { get; private set; }

    public void Enqueue(ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty)
        {
            _chunks.Enqueue(data.ToArray());
            Count += data.Length;
        }
    }

    public void Enqueue(byte[] data)
    {
        if (data.Length > 0)
        {
            _chunks.Enqueue(data);
            Count += data.Length;
        }
    }

    /// <summary>Moves up to <c>destination.Length</c> bytes out; returns how many.</summary>
    public int Dequeue(Span<byte> destination)
    {
        int copied = 0;
        while (copied < destination.Length && _chunks.Count > 0)
        {
            byte[] head = _chunks.Peek();
            int n = Math.Min(head.Length - _offset, destination.Length - copied);
            head.AsSpan(_offset, n).CopyTo(destination[copied..]);
            copied += n;
            _offset += n;
            if (_offset == head.Length)
            {
                _chunks.Dequeue();
                _offset = 0;
            }
        }

        Count -= copied;
        return copied;
    }

    public byte[] Dequeue(int count)
    {
        if (_offset == 0 && _chunks.TryPeek(out byte[]? head) && head.Length <= count)
        {
            // The whole head chunk fits: hand it over instead of copying it (a segment of a big send moves as it was queued).
            _chunks.Dequeue();
            Count -= head.Length;
            return head;
        }

        byte[] result = new byte[Math.Min(count, Count)];
        _ = Dequeue(result);
        return result;
    }

    public void Clear()
    {
        _chunks.Clear();
        _offset = 0;
        Count = 0;
    }
}
