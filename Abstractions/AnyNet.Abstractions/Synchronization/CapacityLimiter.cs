using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// Limits how many borrowers may use a resource at once (Trio/AnyIO <c>CapacityLimiter</c>): each borrower holds at
/// most one token, and <see cref="TotalTokens"/> can be changed while in use.
/// </summary>
/// <remarks>
/// <para>
/// A borrower is any object (compared with <see cref="object.Equals(object)"/>), passed to the <c>OnBehalfOf</c>
/// methods. The short forms borrow for the current async flow: <see cref="AcquireAsync"/> and <see cref="Release"/>
/// must then run in the same async method (or <see cref="Release"/> in something it awaits), the usual
/// <c>try</c>/<c>finally</c> shape.
/// </para>
/// <para>
/// Waiters are served in FIFO order; a released token goes straight to the first waiter, and raising
/// <see cref="TotalTokens"/> wakes as many waiters as there are new tokens, so <see cref="TryAcquire"/> never barges past
/// a waiter. A waiter whose cancellation token is cancelled before the grant leaves the queue. A waiter granted a
/// token whose cancellation token is cancelled before its acquire returns gives the token back (AnyIO's rule): the
/// acquire passes it on exactly as a release would, to the next waiter or back to the limiter, and throws
/// <see cref="OperationCanceledException"/>, so no token is lost or given twice. Thread-safe.
/// </para>
/// </remarks>
public sealed class CapacityLimiter : IFlowOwnedResource
{
    private readonly Lock _gate = new();
    private readonly WaitQueue<Waiter> _waiters = new();
    private readonly HashSet<object> _borrowers = [];
    private readonly HashSet<object> _waitingBorrowers = [];
    private int _totalTokens;

    /// <summary>
    /// Creates a limiter with <paramref name="totalTokens"/> tokens (<see cref="int.MaxValue"/> for no practical limit).
    /// Zero is allowed (as in AnyIO 4.12): every acquire then waits until <see cref="TotalTokens"/> is raised.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalTokens"/> is negative.</exception>
    public CapacityLimiter(int totalTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalTokens);
        _totalTokens = totalTokens;
    }

    /// <summary>
    /// The number of tokens. Raising it wakes waiters at once; lowering it below <see cref="BorrowedTokens"/> takes no
    /// token back, it only stops new grants until enough are released. Zero stops every grant until it is raised again.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int TotalTokens
    {
        get => Volatile.Read(ref _totalTokens);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate)
            {
                _totalTokens = value;
                GrantWaiters();
            }
        }
    }

    /// <summary>How many tokens are borrowed now.</summary>
    public int BorrowedTokens
    {
        get
        {
            lock (_gate)
            {
                return _borrowers.Count;
            }
        }
    }

    /// <summary>How many tokens could be borrowed now (0 when more are borrowed than <see cref="TotalTokens"/>).</summary>
    public int AvailableTokens
    {
        get
        {
            lock (_gate)
            {
                return Math.Max(0, _totalTokens - _borrowers.Count);
            }
        }
    }

    /// <summary>Borrows a token for the current async flow, waiting in FIFO order while none is free.</summary>
    /// <exception cref="InvalidOperationException">The current flow already holds a token of this limiter.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled before the acquire returned; a token granted in the meantime was passed on.
    /// </exception>
    public ValueTask AcquireAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        ThrowIfFlowBorrows();
        var borrower = new FlowBorrower();
        FlowOwnership.Record(this, borrower);
        return AcquireOnBehalfOfAsync(borrower, cancellationToken);
    }

    /// <summary>Borrows a token for <paramref name="borrower"/>, waiting in FIFO order while none is free.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="borrower"/> already holds, or is already waiting for, a token of this limiter.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled before the acquire returned; a token granted in the meantime was passed on.
    /// </exception>
    public ValueTask AcquireOnBehalfOfAsync(object borrower, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(borrower);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        Waiter waiter;
        lock (_gate)
        {
            ThrowIfBorrowing(borrower);
            if (CanGrantNow())
            {
                _borrowers.Add(borrower);
                return ValueTask.CompletedTask;
            }

            waiter = new Waiter(_gate, _waiters, borrower);
            _waiters.Enqueue(waiter);
            _waitingBorrowers.Add(borrower);
        }

        return WaitAsync(waiter, borrower, cancellationToken);
    }

    /// <summary>Borrows a token for the current async flow if one is free and nobody waits.</summary>
    /// <returns>True if a token was borrowed.</returns>
    /// <exception cref="InvalidOperationException">The current flow already holds a token of this limiter.</exception>
    public bool TryAcquire()
    {
        ThrowIfFlowBorrows();
        var borrower = new FlowBorrower();
        if (!TryAcquireOnBehalfOf(borrower))
        {
            return false;
        }

        FlowOwnership.Record(this, borrower);
        return true;
    }

    /// <summary>Borrows a token for <paramref name="borrower"/> if one is free and nobody waits.</summary>
    /// <returns>True if a token was borrowed.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="borrower"/> already holds, or is already waiting for, a token of this limiter.</exception>
    public bool TryAcquireOnBehalfOf(object borrower)
    {
        ArgumentNullException.ThrowIfNull(borrower);
        lock (_gate)
        {
            ThrowIfBorrowing(borrower);
            if (!CanGrantNow())
            {
                return false;
            }

            _borrowers.Add(borrower);
            return true;
        }
    }

    /// <summary>Returns the token the current async flow borrowed.</summary>
    /// <exception cref="InvalidOperationException">The current flow holds no token of this limiter.</exception>
    public void Release()
    {
        object borrower = FlowOwnership.FindOwner(this)
            ?? throw new InvalidOperationException("The current task holds no token of this capacity limiter.");
        ReleaseOnBehalfOf(borrower);
        FlowOwnership.Forget(borrower);
    }

    /// <summary>Returns the token <paramref name="borrower"/> holds, handing it to the first waiter.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="borrower"/> holds no token of this limiter.</exception>
    public void ReleaseOnBehalfOf(object borrower)
    {
        ArgumentNullException.ThrowIfNull(borrower);
        lock (_gate)
        {
            if (!_borrowers.Remove(borrower))
            {
                throw new InvalidOperationException("This borrower holds no token of this capacity limiter.");
            }

            GrantWaiters();
        }
    }

    /// <summary>A snapshot: borrowed and total tokens, the borrowers, and how many wait.</summary>
    public CapacityLimiterStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new CapacityLimiterStatistics(_borrowers.Count, _totalTokens, [.. _borrowers], _waiters.Count);
        }
    }

    bool IFlowOwnedResource.IsHeldBy(object owner)
    {
        lock (_gate)
        {
            return _borrowers.Contains(owner);
        }
    }

    private async ValueTask WaitAsync(Waiter waiter, object borrower, CancellationToken cancellationToken)
    {
        // Before the grant, Waiter decides the race with the cancellation under _gate. After it, only this method
        // decides, once it resumes: the token either reaches the caller or is passed on here, never both.
        try
        {
            await waiter.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                _waitingBorrowers.Remove(borrower);
            }

            throw;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                // Checked rather than assumed: another task may already have released this borrower's token for it.
                if (_borrowers.Remove(borrower))
                {
                    GrantWaiters();
                }
            }

            throw new OperationCanceledException(cancellationToken);
        }
    }

    private bool CanGrantNow() => _waiters.Count == 0 && _borrowers.Count < _totalTokens;

    private void GrantWaiters()
    {
        while (_borrowers.Count < _totalTokens && _waiters.Dequeue() is Waiter next)
        {
            _waitingBorrowers.Remove(next.Tag!);
            _borrowers.Add(next.Tag!);
            next.Grant();
        }
    }

    private void ThrowIfBorrowing(object borrower)
    {
        if (_borrowers.Contains(borrower) || _waitingBorrowers.Contains(borrower))
        {
            throw new InvalidOperationException("This borrower already holds or waits for a token of this capacity limiter; each borrower may hold one.");
        }
    }

    private void ThrowIfFlowBorrows()
    {
        if (FlowOwnership.FindOwner(this) is not null)
        {
            throw new InvalidOperationException("The current task already holds a token of this capacity limiter; each borrower may hold one.");
        }
    }

    /// <summary>The borrower that stands for an async flow in the short forms.</summary>
    private sealed class FlowBorrower
    {
        public override string ToString() => "async flow";
    }
}
