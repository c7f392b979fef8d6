namespace AnyNet.Internal;

/// <summary>A node that can sit in one <see cref="WaitQueue{TNode}"/> at a time.</summary>
internal abstract class WaitNode
{
    internal WaitNode? QueuePrevious;
    internal WaitNode? QueueNext;
    internal bool IsQueued;
}

/// <summary>
/// A FIFO of waiters with O(1) removal from the middle (a cancelled waiter leaves its place without a scan).
/// Not thread-safe: the owning primitive guards it with its own lock.
/// </summary>
internal sealed class WaitQueue<TNode>
    where TNode : WaitNode
{
    private WaitNode? _head;
    private WaitNode? _tail;

    public int Count { get; private set; }

    public TNode? First => (TNode?)_head;

    public void Enqueue(TNode node)
    {
        node.QueuePrevious = _tail;
        node.QueueNext = null;
        if (_tail is null)
        {
            _head = node;
        }
        else
        {
            _tail.QueueNext = node;
        }

        _tail = node;
        node.IsQueued = true;
        Count++;
    }

    public TNode? Dequeue()
    {
        TNode? node = First;
        if (node is not null)
        {
            Remove(node);
        }

        return node;
    }

    /// <summary>Removes <paramref name="node"/> if it is queued; returns false if it already left.</summary>
    public bool Remove(TNode node)
    {
        if (!node.IsQueued)
        {
            return false;
        }

        if (node.QueuePrevious is null)
        {
            _head = node.QueueNext;
        }
        else
        {
            node.QueuePrevious.QueueNext = node.QueueNext;
        }

        if (node.QueueNext is null)
        {
            _tail = node.QueuePrevious;
        }
        else
        {
            node.QueueNext.QueuePrevious = node.QueuePrevious;
        }

        node.QueuePrevious = null;
        node.QueueNext = null;
        node.IsQueued = false;
        Count--;
        return true;
    }

    /// <summary>Removes every node matching <paramref name="match"/> and returns them in queue order.</summary>
    public List<TNode> RemoveAll(Func<TNode, bool> match)
    {
        var removed = new List<TNode>();
        WaitNode? node = _head;
        while (node is not null)
        {
            WaitNode? next = node.QueueNext;
            var typed = (TNode)node;
            if (match(typed))
            {
                Remove(typed);
                removed.Add(typed);
            }

            node = next;
        }

        return removed;
    }
}
