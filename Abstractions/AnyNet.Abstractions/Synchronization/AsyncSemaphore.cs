using AnyNet.Internal;

namespace AnyNet;

/// <summary>
/// A FIFO-fair counting semaphore for async code with an optional upper bound (Trio/AnyIO <c>Semaphore</c>). Named
/// <c>AsyncSemaphore</c> because <see cref="System.Threading.Semaphore"/> already owns the short name.
/// </summary>
/// <remarks>
/// A release with waiters hands the unit straight to the first waiter, so a <see cref="TryAcquire"/> cannot barge past
/// them. A waiter that was already granted a unit when its token is cancelled keeps it (its acquire returns normally),
/// so no unit is ever lost. Units are not owned: any task may release. Thread-safe.
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
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before a unit was granted.</exception>
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

        return waiter.WaitAsync(cancellationToken);
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
        lock (_gate)
        {
            Waiter? next = _waiters.Dequeue();
            if (next is not null)
            {
                next.Grant();
                return;
            }

            if (_value == MaxValue)
            {
                throw new SemaphoreFullException($"Releasing would raise the semaphore above its maximum value of {MaxValue}.");
            }

            _value++;
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
}
