using System.Buffers.Text;
using System.Text;

namespace AnyNet.Samples.MiniRedis;

/// <summary>
/// Executes one parsed command against the store and writes its reply. Replies and error texts follow Redis 7
/// (t_string.c, db.c, expire.c) so that redis-cli and redis-benchmark see what they expect.
/// </summary>
internal sealed class RedisCommands(RedisStore store, RedisServerInfo info)
{
    private delegate void Handler(RedisCommands self, List<ReadOnlyMemory<byte>> args, RespWriter reply);

    private static readonly Dictionary<byte[], (Handler Run, int Arity)> s_table = new(ByteKeyComparer.Instance)
    {
        // Arity as in Redis's command table: positive = exact argument count (with the name), negative = at least.
        ["PING"u8.ToArray()] = (static (_, a, r) => Ping(a, r), -1),
        ["ECHO"u8.ToArray()] = (static (_, a, r) => r.Bulk(a[1].Span), 2),
        ["SET"u8.ToArray()] = (static (s, a, r) => s.Set(a, r), -3),
        ["GET"u8.ToArray()] = (static (s, a, r) => s.Get(a, r), 2),
        ["DEL"u8.ToArray()] = (static (s, a, r) => s.Delete(a, r), -2),
        ["EXISTS"u8.ToArray()] = (static (s, a, r) => s.Exists(a, r), -2),
        ["INCR"u8.ToArray()] = (static (s, a, r) => s.IncrementBy(a[1].Span, 1, r), 2),
        ["DECR"u8.ToArray()] = (static (s, a, r) => s.IncrementBy(a[1].Span, -1, r), 2),
        ["INCRBY"u8.ToArray()] = (static (s, a, r) => s.IncrementBy(a, negate: false, r), 3),
        ["DECRBY"u8.ToArray()] = (static (s, a, r) => s.IncrementBy(a, negate: true, r), 3),
        ["MGET"u8.ToArray()] = (static (s, a, r) => s.MultiGet(a, r), -2),
        ["MSET"u8.ToArray()] = (static (s, a, r) => s.MultiSet(a, r), -3),
        ["EXPIRE"u8.ToArray()] = (static (s, a, r) => s.Expire(a, r, 1000), 3),
        ["PEXPIRE"u8.ToArray()] = (static (s, a, r) => s.Expire(a, r, 1), 3),
        ["TTL"u8.ToArray()] = (static (s, a, r) => s.Ttl(a, r, 1000), 2),
        ["PTTL"u8.ToArray()] = (static (s, a, r) => s.Ttl(a, r, 1), 2),
        ["DBSIZE"u8.ToArray()] = (static (s, _, r) => s.DbSize(r), 1),
        ["FLUSHALL"u8.ToArray()] = (static (s, _, r) => s.FlushAll(r), -1),
        ["FLUSHDB"u8.ToArray()] = (static (s, _, r) => s.FlushAll(r), -1),
        ["SELECT"u8.ToArray()] = (static (_, a, r) => Select(a, r), 2),
        ["CONFIG"u8.ToArray()] = (static (s, a, r) => s.Config(a, r), -2),
        ["INFO"u8.ToArray()] = (static (s, a, r) => s.Info(a, r), -1),
        ["COMMAND"u8.ToArray()] = (static (_, _, r) => r.ArrayHeader(0), -1),
    };

    /// <summary>Runs a command; returns false when the connection must close after the reply (QUIT).</summary>
    public bool Execute(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        if (args.Count == 0)
        {
            return true;
        }

        ReadOnlySpan<byte> name = args[0].Span;
        if (name.Length <= 16)
        {
            Span<byte> upper = stackalloc byte[name.Length];
            Ascii.ToUpper(name, upper, out _);
            if (upper.SequenceEqual("QUIT"u8))
            {
                reply.Ok();
                return false;
            }

            if (s_table.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(upper, out var command))
            {
                if (command.Arity > 0 ? args.Count != command.Arity : args.Count < -command.Arity)
                {
                    reply.Error($"ERR wrong number of arguments for '{Encoding.ASCII.GetString(upper).ToLowerInvariant()}' command");
                    return true;
                }

                command.Run(this, args, reply);
                return true;
            }
        }

        reply.Error($"ERR unknown command '{Quote(name)}', with args beginning with: {string.Join(' ', args.Skip(1).Take(8).Select(a => $"'{Quote(a.Span)}'"))}");
        return true;
    }

    private static string Quote(ReadOnlySpan<byte> bytes) =>
        Encoding.UTF8.GetString(bytes.Length > 128 ? bytes[..128] : bytes).Replace('\r', ' ').Replace('\n', ' ');

    private static bool TryParseInteger(ReadOnlySpan<byte> text, out long value) =>
        Utf8Parser.TryParse(text, out value, out int used) && used == text.Length && text.Length > 0 && text[0] != (byte)'+';

    private static void Ping(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        if (args.Count == 1)
        {
            reply.Raw("+PONG\r\n"u8);
        }
        else if (args.Count == 2)
        {
            reply.Bulk(args[1].Span);
        }
        else
        {
            reply.Error("ERR wrong number of arguments for 'ping' command");
        }
    }

    private void Set(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        bool nx = false, xx = false;
        long expiresAt = 0;
        for (int i = 3; i < args.Count; i++)
        {
            ReadOnlySpan<byte> option = args[i].Span;
            if (Ascii.EqualsIgnoreCase(option, "NX"u8) && !xx)
            {
                nx = true;
            }
            else if (Ascii.EqualsIgnoreCase(option, "XX"u8) && !nx)
            {
                xx = true;
            }
            else if ((Ascii.EqualsIgnoreCase(option, "EX"u8) || Ascii.EqualsIgnoreCase(option, "PX"u8)) && expiresAt == 0 && i + 1 < args.Count)
            {
                long unit = Ascii.EqualsIgnoreCase(option, "EX"u8) ? 1000 : 1;
                if (!TryParseInteger(args[++i].Span, out long amount))
                {
                    reply.Error("ERR value is not an integer or out of range");
                    return;
                }

                if (amount <= 0 || amount > long.MaxValue / 1000 / 2)
                {
                    reply.Error("ERR invalid expire time in 'set' command");
                    return;
                }

                expiresAt = store.NowMilliseconds + (amount * unit);
            }
            else
            {
                reply.Error("ERR syntax error");
                return;
            }
        }

        byte[] value = args[2].ToArray();
        lock (store.Gate)
        {
            bool exists = store.TryGet(args[1].Span, out _, out _);
            if ((nx && exists) || (xx && !exists))
            {
                reply.Null();
                return;
            }

            store.Set(args[1].Span, value, expiresAt);
        }

        reply.Ok();
    }

    private void Get(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        lock (store.Gate)
        {
            if (store.TryGet(args[1].Span, out _, out RedisStore.Entry entry))
            {
                reply.Bulk(entry.Value);
            }
            else
            {
                reply.Null();
            }
        }
    }

    private void Delete(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        long deleted = 0;
        lock (store.Gate)
        {
            for (int i = 1; i < args.Count; i++)
            {
                deleted += store.Delete(args[i].Span) ? 1 : 0;
            }
        }

        reply.Integer(deleted);
    }

    private void Exists(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        long found = 0;
        lock (store.Gate)
        {
            for (int i = 1; i < args.Count; i++)
            {
                found += store.TryGet(args[i].Span, out _, out _) ? 1 : 0;
            }
        }

        reply.Integer(found);
    }

    private void IncrementBy(List<ReadOnlyMemory<byte>> args, bool negate, RespWriter reply)
    {
        if (!TryParseInteger(args[2].Span, out long delta) || (negate && delta == long.MinValue))
        {
            reply.Error("ERR value is not an integer or out of range");
            return;
        }

        IncrementBy(args[1].Span, negate ? -delta : delta, reply);
    }

    private void IncrementBy(ReadOnlySpan<byte> key, long delta, RespWriter reply)
    {
        lock (store.Gate)
        {
            long current = 0;
            long expiresAt = 0;
            if (store.TryGet(key, out _, out RedisStore.Entry entry))
            {
                if (!TryParseInteger(entry.Value, out current))
                {
                    reply.Error("ERR value is not an integer or out of range");
                    return;
                }

                expiresAt = entry.ExpiresAt;
            }

            if ((delta > 0 && current > long.MaxValue - delta) || (delta < 0 && current < long.MinValue - delta))
            {
                reply.Error("ERR increment or decrement would overflow");
                return;
            }

            long result = current + delta;
            Span<byte> text = stackalloc byte[24];
            Utf8Formatter.TryFormat(result, text, out int written);

            // INCR keeps an existing TTL (Redis overwrites the value in place).
            store.Set(key, text[..written].ToArray(), expiresAt);
            reply.Integer(result);
        }
    }

    private void MultiGet(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        reply.ArrayHeader(args.Count - 1);
        lock (store.Gate)
        {
            for (int i = 1; i < args.Count; i++)
            {
                if (store.TryGet(args[i].Span, out _, out RedisStore.Entry entry))
                {
                    reply.Bulk(entry.Value);
                }
                else
                {
                    reply.Null();
                }
            }
        }
    }

    private void MultiSet(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        if (args.Count % 2 == 0)
        {
            reply.Error("ERR wrong number of arguments for 'mset' command");
            return;
        }

        lock (store.Gate)
        {
            for (int i = 1; i < args.Count; i += 2)
            {
                store.Set(args[i].Span, args[i + 1].ToArray(), 0);
            }
        }

        reply.Ok();
    }

    private void Expire(List<ReadOnlyMemory<byte>> args, RespWriter reply, long unit)
    {
        if (!TryParseInteger(args[2].Span, out long amount) || amount > long.MaxValue / 1000 / 2 || amount < long.MinValue / 1000 / 2)
        {
            reply.Error("ERR value is not an integer or out of range");
            return;
        }

        lock (store.Gate)
        {
            if (!store.TryGet(args[1].Span, out byte[] storedKey, out RedisStore.Entry entry))
            {
                reply.Integer(0);
                return;
            }

            if (amount <= 0)
            {
                // A non-positive timeout deletes the key at once (Redis: expireGenericCommand).
                store.Delete(args[1].Span);
            }
            else
            {
                store.SetExpiry(storedKey, entry, store.NowMilliseconds + (amount * unit));
            }
        }

        reply.Integer(1);
    }

    private void Ttl(List<ReadOnlyMemory<byte>> args, RespWriter reply, long unit)
    {
        lock (store.Gate)
        {
            if (!store.TryGet(args[1].Span, out _, out RedisStore.Entry entry))
            {
                reply.Integer(-2);
            }
            else if (entry.ExpiresAt == 0)
            {
                reply.Integer(-1);
            }
            else
            {
                long left = Math.Max(0, entry.ExpiresAt - store.NowMilliseconds);

                // Redis rounds TTL to the nearest second: (ttl + 500) / 1000.
                reply.Integer(unit == 1 ? left : (left + 500) / 1000);
            }
        }
    }

    private void DbSize(RespWriter reply)
    {
        lock (store.Gate)
        {
            reply.Integer(store.Count);
        }
    }

    private void FlushAll(RespWriter reply)
    {
        lock (store.Gate)
        {
            store.Clear();
        }

        reply.Ok();
    }

    private static void Select(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        if (args[1].Span.SequenceEqual("0"u8))
        {
            reply.Ok();
        }
        else
        {
            reply.Error("ERR DB index is out of range");
        }
    }

    private void Config(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        if (!Ascii.EqualsIgnoreCase(args[1].Span, "GET"u8) || args.Count < 3)
        {
            // redis-benchmark only reads "save" and "appendonly"; redis-cli reads nothing. SET/REWRITE are not served.
            reply.Error($"ERR unknown subcommand or wrong number of arguments for '{Quote(args[1].Span)}'. Try CONFIG HELP.");
            return;
        }

        var matches = new List<(string Name, string Value)>();
        foreach ((string name, string value) in info.ConfigValues())
        {
            for (int i = 2; i < args.Count; i++)
            {
                if (GlobMatch(Encoding.UTF8.GetString(args[i].Span).ToLowerInvariant(), name))
                {
                    matches.Add((name, value));
                    break;
                }
            }
        }

        reply.ArrayHeader(matches.Count * 2);
        foreach ((string name, string value) in matches)
        {
            reply.Bulk(name);
            reply.Bulk(value);
        }
    }

    private void Info(List<ReadOnlyMemory<byte>> args, RespWriter reply)
    {
        int keys;
        lock (store.Gate)
        {
            keys = store.Count;
        }

        reply.Bulk(info.Info(args.Count > 1 ? Encoding.UTF8.GetString(args[1].Span) : null, keys));
    }

    /// <summary>Redis's stringmatch for the two wildcards CONFIG GET users write: '*' and '?'.</summary>
    internal static bool GlobMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        if (pattern.IsEmpty)
        {
            return text.IsEmpty;
        }

        return pattern[0] switch
        {
            '*' => GlobMatch(pattern[1..], text) || (!text.IsEmpty && GlobMatch(pattern, text[1..])),
            '?' => !text.IsEmpty && GlobMatch(pattern[1..], text[1..]),
            _ => !text.IsEmpty && text[0] == pattern[0] && GlobMatch(pattern[1..], text[1..]),
        };
    }
}
