using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// A FIFO-fair counting semaphore for async code with an optional upper bound (Trio/AnyIO <c>Semaphore</c>). Named
/// <c>AsyncSemaphore</c> because <see cref="System.Threading.Semaphore"/> already owns the short name.
/// </summary>
/// <remarks>
/// A release with waiters hands the unit straight to the first waiter, so a <see cref="TryAcquire"/> cannot barge past
/// them. A waiter whose token is cancelled before the grant leaves the queue. A waiter granted a unit whose token is
/// cancelled before its acquire returns gives the unit back (AnyIO's rule): the acquire passes it on exactly as
/// <see cref="Release"/> would, to the next waiter or back to the semaphore, and throws
/// <see cref="OperationCanceledException"/>, so no unit is lost or given twice. Units are not owned: any task may
/// release. Thread-safe.
/// </remarks>
public sealed class AsyncSemaphore
{
    private readonly Lock _gate = new();
    private readonly WaitQueue<Waiter> _waiters = new();
    private int _value;

    /// <summary>Creates a semaphore holding <paramref name="initialValue"/> units, never more than <paramref name="maxValue"/> (null: no bound).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialValue"/> is negative, or greater than <paramref name="maxValue"/>.</exception>
    public AsyncSemaphore(int initialValue, int? maxValue = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialValue);
        if (maxValue is int max)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(initialValue, max);
        }

        _value = initialValue;
        MaxValue = maxValue;
    }

    /// <summary>How many units are free now.</summary>
    public int CurrentValue => Volatile.Read(ref _value);

    /// <summary>The most units the semaphore may hold, or null for no bound.</summary>
    public int? MaxValue { get; }

    /// <summary>Takes one unit, waiting in FIFO order while none is free.</summary>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled before the acquire returned; a unit granted in the meantime was passed on.
    /// </exception>
    public ValueTask AcquireAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        Waiter waiter;
        lock (_gate)
        {
            if (_value > 0)
            {
                _value--;
                return ValueTask.CompletedTask;
            }

            waiter = new Waiter(_gate, _waiters);
            _waiters.Enqueue(waiter);
        }

        return WaitForGrantAsync(waiter, cancellationToken);
    }

    /// <summary>Takes one unit if one is free now.</summary>
    /// <returns>True if a unit was taken.</returns>
    public bool TryAcquire()
    {
        lock (_gate)
        {
            if (_value == 0)
            {
                return false;
            }

            _value--;
            return true;
        }
    }

    /// <summary>Returns one unit: to the first waiter if there is one, otherwise to the semaphore.</summary>
    /// <exception cref="SemaphoreFullException">The semaphore already holds <see cref="MaxValue"/> units.</exception>
    public void Release()
    {
        if (!TryReturnUnit())
        {
            throw new SemaphoreFullException($"Releasing would raise the semaphore above its maximum value of {MaxValue}.");
        }
    }

    /// <summary>A snapshot: free units, the bound, and how many tasks wait.</summary>
    public SemaphoreStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new SemaphoreStatistics(_value, MaxValue, _waiters.Count);
        }
    }

    private async ValueTask WaitForGrantAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        // Before the grant, Waiter decides the race with the cancellation under _gate. After it, only this method
        // decides, once it resumes: the unit either reaches the caller or is passed on here, never both.
        await waiter.WaitAsync(cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            // A full semaphore means more releases than acquires elsewhere; the unit has nowhere to go, and the
            // caller's cancellation, not a SemaphoreFullException about someone else's release, is what it must see.
            TryReturnUnit();
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <summary>Hands a unit to the first waiter, or adds it to the free units; false if the semaphore is full.</summary>
    private bool TryReturnUnit()
    {
        lock (_gate)
        {
            Waiter? next = _waiters.Dequeue();
            if (next is not null)
            {
                next.Grant();
                return true;
            }

            if (_value == MaxValue)
            {
                return false;
            }

            _value++;
            return true;
        }
    }
}
