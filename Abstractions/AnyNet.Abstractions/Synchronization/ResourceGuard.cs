namespace AnyNet;

/// <summary>
/// Refuses concurrent use of a resource (AnyIO <c>ResourceGuard</c>): a second <see cref="Enter"/> while the first is
/// still inside throws <see cref="BusyResourceException"/> instead of waiting. Streams use it so that two concurrent
/// receives (or sends) on one stream fail loudly.
/// </summary>
/// <remarks>Use as <c>using (guard.Enter()) { ... }</c>; dispose the returned scope exactly once. Thread-safe.</remarks>
public sealed class ResourceGuard
{
    private readonly string _action;
    private int _inUse;

    /// <summary>Creates a guard; <paramref name="action"/> names the guarded operation in the error, e.g. "receiving".</summary>
    public ResourceGuard(string action)
    {
        ArgumentException.ThrowIfNullOrEmpty(action);
        _action = action;
    }

    /// <summary>True while someone is inside the guard.</summary>
    public bool IsInUse => Volatile.Read(ref _inUse) != 0;

    /// <summary>Enters the guard.</summary>
    /// <returns>A scope whose disposal leaves the guard.</returns>
    /// <exception cref="BusyResourceException">Someone is already inside.</exception>
    public Scope Enter()
    {
        if (Interlocked.Exchange(ref _inUse, 1) != 0)
        {
            throw BusyResourceException.For(_action);
        }

        return new Scope(this);
    }

    /// <summary>The time spent inside a <see cref="ResourceGuard"/>; disposing it leaves the guard.</summary>
    public readonly struct Scope : IDisposable, IEquatable<Scope>
    {
        private readonly ResourceGuard? _guard;

        internal Scope(ResourceGuard guard) => _guard = guard;

        /// <summary>Compares two scopes by their guard.</summary>
        public static bool operator ==(Scope left, Scope right) => left.Equals(right);

        /// <summary>Compares two scopes by their guard.</summary>
        public static bool operator !=(Scope left, Scope right) => !left.Equals(right);

        /// <summary>Leaves the guard.</summary>
        public void Dispose()
        {
            if (_guard is not null)
            {
                Volatile.Write(ref _guard._inUse, 0);
            }
        }

        /// <inheritdoc/>
        public bool Equals(Scope other) => ReferenceEquals(_guard, other._guard);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is Scope other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => _guard?.GetHashCode() ?? 0;
    }
}
