namespace AnyNet.Samples.MiniRedis;

/// <summary>
/// The keyspace: binary keys to binary values with an optional expiry time. Time comes from the backend's
/// <see cref="TimeProvider"/>, so a test with a manual clock decides when keys expire.
/// </summary>
/// <remarks>
/// Expiry works as in Redis (expire.c): a key past its time is deleted when it is next touched (lazy), and a
/// periodic sweep (<see cref="SweepExpired"/>) removes expired keys nobody touches, so DBSIZE and memory follow.
/// One lock guards everything: the tasks backend runs connections on the thread pool in parallel, and every
/// command is short, so a single uncontended lock is cheaper than anything finer.
/// </remarks>
internal sealed class RedisStore(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<byte[], Entry> _entries = new(ByteKeyComparer.Instance);
    private readonly HashSet<byte[]> _volatile = new(ByteKeyComparer.Instance);

    public TimeProvider Time { get; } = time;

    public Lock Gate => _gate;

    public long NowMilliseconds => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Finds a live entry (deleting it if it expired). Call under <see cref="Gate"/>.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out byte[] storedKey, out Entry entry)
    {
        var lookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(key, out byte[]? actualKey, out entry))
        {
            storedKey = [];
            return false;
        }

        if (entry.ExpiresAt != 0 && entry.ExpiresAt <= NowMilliseconds)
        {
            _entries.Remove(actualKey);
            _volatile.Remove(actualKey);
            storedKey = [];
            entry = default;
            return false;
        }

        storedKey = actualKey;
        return true;
    }

    /// <summary>Sets a value; <paramref name="expiresAt"/> is Unix milliseconds, 0 for none. Call under <see cref="Gate"/>.</summary>
    public void Set(ReadOnlySpan<byte> key, byte[] value, long expiresAt)
    {
        var lookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
        byte[] stored = lookup.TryGetValue(key, out byte[]? existing, out _) ? existing : key.ToArray();
        _entries[stored] = new Entry(value, expiresAt);
        if (expiresAt != 0)
        {
            _volatile.Add(stored);
        }
        else
        {
            _volatile.Remove(stored);
        }
    }

    /// <summary>Changes the expiry of an existing key. Call under <see cref="Gate"/>.</summary>
    public void SetExpiry(byte[] storedKey, Entry entry, long expiresAt)
    {
        _entries[storedKey] = entry with { ExpiresAt = expiresAt };
        _volatile.Add(storedKey);
    }

    /// <summary>Deletes a live key; false if it did not exist (or had expired). Call under <see cref="Gate"/>.</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        if (!TryGet(key, out byte[] storedKey, out _))
        {
            return false;
        }

        _entries.Remove(storedKey);
        _volatile.Remove(storedKey);
        return true;
    }

    /// <summary>The number of keys, counting expired keys not yet swept (as Redis's DBSIZE does).</summary>
    public int Count => _entries.Count;

    public void Clear()
    {
        _entries.Clear();
        _volatile.Clear();
    }

    /// <summary>Deletes up to <paramref name="limit"/> expired keys; returns how many it deleted.</summary>
    public int SweepExpired(int limit)
    {
        lock (_gate)
        {
            long now = NowMilliseconds;
            List<byte[]>? expired = null;
            foreach (byte[] key in _volatile)
            {
                if (_entries.TryGetValue(key, out Entry entry) && entry.ExpiresAt <= now)
                {
                    (expired ??= []).Add(key);
                    if (expired.Count >= limit)
                    {
                        break;
                    }
                }
            }

            if (expired is null)
            {
                return 0;
            }

            foreach (byte[] key in expired)
            {
                _entries.Remove(key);
                _volatile.Remove(key);
            }

            return expired.Count;
        }
    }

    /// <summary>A value and its expiry (Unix milliseconds; 0 = never).</summary>
    internal readonly record struct Entry(byte[] Value, long ExpiresAt);
}
