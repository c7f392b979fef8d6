namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// A binary min-heap of armed timers ordered by due timestamp. Each timer remembers its slot, so re-arming or
/// cancelling is O(log n) and a disarmed timer leaves nothing behind. Loop thread only.
/// </summary>
internal sealed class TimerHeap
{
    private ReactorTimer[] _items = new ReactorTimer[16];
    private long _sequence;

    public int Count { get; private set; }

    /// <summary>The earliest due timestamp, or null when no timer is armed.</summary>
    public long? NextDue => Count == 0 ? null : _items[0].Due;

    public ReactorTimer Peek() => _items[0];

    public void Add(ReactorTimer timer, long due)
    {
        timer.Due = due;
        // Timers due at the same instant fire in the order they were armed.
        timer.Sequence = _sequence++;
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[Count] = timer;
        timer.HeapIndex = Count;
        Count++;
        SiftUp(timer.HeapIndex);
    }

    public void Remove(ReactorTimer timer)
    {
        int index = timer.HeapIndex;
        if (index < 0)
        {
            return;
        }

        timer.HeapIndex = -1;
        Count--;
        if (index == Count)
        {
            _items[Count] = null!;
            return;
        }

        ReactorTimer last = _items[Count];
        _items[Count] = null!;
        _items[index] = last;
        last.HeapIndex = index;
        SiftDown(index);
        SiftUp(last.HeapIndex);
    }

    private static bool Before(ReactorTimer a, ReactorTimer b) => a.Due < b.Due || (a.Due == b.Due && a.Sequence < b.Sequence);

    private void SiftUp(int index)
    {
        ReactorTimer item = _items[index];
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            if (!Before(item, _items[parent]))
            {
                break;
            }

            _items[index] = _items[parent];
            _items[index].HeapIndex = index;
            index = parent;
        }

        _items[index] = item;
        item.HeapIndex = index;
    }

    private void SiftDown(int index)
    {
        ReactorTimer item = _items[index];
        while (true)
        {
            int child = (index << 1) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Before(_items[child + 1], _items[child]))
            {
                child++;
            }

            if (!Before(_items[child], item))
            {
                break;
            }

            _items[index] = _items[child];
            _items[index].HeapIndex = index;
            index = child;
        }

        _items[index] = item;
        item.HeapIndex = index;
    }
}
