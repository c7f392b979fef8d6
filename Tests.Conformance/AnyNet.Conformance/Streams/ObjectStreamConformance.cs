using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The generic checks every bidirectional object stream of byte messages must pass (framed streams over any byte
/// stream, stapled object streams): order and integrity, the clean end after <c>SendEofAsync</c>, closing, peer loss,
/// and cancellation. Received items are copied at once, because framed streams hand out views valid until the next
/// receive.
/// </summary>
/// <typeparam name="TFixture">The backend under test.</typeparam>
public abstract class ObjectStreamConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <summary>Makes two connected object streams on <paramref name="backend"/>.</summary>
    protected abstract Task<(IObjectStream<ReadOnlyMemory<byte>> Left, IObjectStream<ReadOnlyMemory<byte>> Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken);

    /// <summary>The largest item the stream kind carries (the tests stay within it).</summary>
    protected virtual int MaxItemSize => 1000;

    /// <summary>Makes item <paramref name="index"/> (the stream kind may forbid some bytes, e.g. line ends in lines).</summary>
    protected virtual byte[] MakeItem(int index)
    {
        byte[] item = new byte[index * 37 % (MaxItemSize + 1)];
        for (int i = 0; i < item.Length; i++)
        {
            item[i] = (byte)('a' + ((index + i) % 26));
        }

        return item;
    }

    /// <summary>Runs <paramref name="body"/> with a fresh pair, disposing both ends afterwards.</summary>
    protected async Task WithPairAsync(Func<IObjectStream<ReadOnlyMemory<byte>>, IObjectStream<ReadOnlyMemory<byte>>, CancellationToken, Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        await RunAsync(async (backend, token) =>
        {
            (IObjectStream<ReadOnlyMemory<byte>> left, IObjectStream<ReadOnlyMemory<byte>> right) = await CreatePairAsync(backend, token);
            await using (left)
            await using (right)
            {
                await body(left, right, token);
            }
        });
    }

    [SkippableFact]
    public virtual Task Items_arrive_intact_and_in_order_both_ways_at_once() => WithPairAsync(async (left, right, token) =>
    {
        const int Count = 500;
        var fromLeft = new List<byte[]>();
        var fromRight = new List<byte[]>();
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async t =>
            {
                for (int i = 0; i < Count; i++)
                {
                    await left.SendAsync(MakeItem(i), t);
                }

                await left.SendEofAsync(t);
            });
            group.Start(async t =>
            {
                for (int i = 0; i < Count; i++)
                {
                    await right.SendAsync(MakeItem(i + 1), t);
                }

                await right.SendEofAsync(t);
            });
            group.Start(async t =>
            {
                await foreach (ReadOnlyMemory<byte> item in right.WithCancellation(t))
                {
                    fromLeft.Add(item.ToArray());
                }
            });
            group.Start(async t =>
            {
                await foreach (ReadOnlyMemory<byte> item in left.WithCancellation(t))
                {
                    fromRight.Add(item.ToArray());
                }
            });
            return Task.CompletedTask;
        }, token);

        Assert.Equal(Count, fromLeft.Count);
        Assert.Equal(Count, fromRight.Count);
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(MakeItem(i), fromLeft[i]);
            Assert.Equal(MakeItem(i + 1), fromRight[i]);
        }
    });

    [SkippableFact]
    public virtual Task An_empty_item_arrives_as_an_empty_item() => WithPairAsync(async (left, right, token) =>
    {
        await left.SendAsync(ReadOnlyMemory<byte>.Empty, token);
        await left.SendAsync(MakeItem(1), token);
        Assert.Equal(0, (await right.ReceiveAsync(token)).Length);
        Assert.Equal(MakeItem(1), (await right.ReceiveAsync(token)).ToArray());
    });

    [SkippableFact]
    public virtual Task After_SendEof_the_peer_receives_everything_then_EndOfStream_and_can_still_send_back() => WithPairAsync(async (left, right, token) =>
    {
        await left.SendAsync(MakeItem(3), token);
        await left.SendEofAsync(token);
        await left.SendEofAsync(token);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await left.SendAsync(MakeItem(4), token));
        Assert.Equal(MakeItem(3), (await right.ReceiveAsync(token)).ToArray());
        EndOfStreamException end = await Assert.ThrowsAnyAsync<EndOfStreamException>(async () => await right.ReceiveAsync(token));
        Assert.IsNotType<IncompleteReadException>(end);
        await right.SendAsync(MakeItem(5), token);
        Assert.Equal(MakeItem(5), (await left.ReceiveAsync(token)).ToArray());
    });

    [SkippableFact]
    public virtual Task After_this_end_is_closed_receive_and_send_throw_ClosedResourceException_and_dispose_is_idempotent() => WithPairAsync(async (left, _, token) =>
    {
        await left.DisposeAsync();
        await left.DisposeAsync();
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await left.ReceiveAsync(token));
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await left.SendAsync(MakeItem(1), token));
    });

    [SkippableFact]
    public virtual Task Closing_this_end_from_another_task_wakes_a_blocked_receive_with_ClosedResourceException() => WithPairAsync(async (left, _, token) =>
    {
        ValueTask<ReadOnlyMemory<byte>> blocked = left.ReceiveAsync(token);
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async _ => await left.DisposeAsync());
            return Task.CompletedTask;
        }, token);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await blocked);
    });

    [SkippableFact]
    public virtual Task When_the_peer_closes_receive_reports_the_end_of_the_stream() => WithPairAsync(async (left, right, token) =>
    {
        await right.SendAsync(MakeItem(2), token);
        await right.DisposeAsync();
        Assert.Equal(MakeItem(2), (await left.ReceiveAsync(token)).ToArray());
        await Assert.ThrowsAnyAsync<EndOfStreamException>(async () => await left.ReceiveAsync(token));
        var rest = new List<byte[]>();
        await foreach (ReadOnlyMemory<byte> item in left.WithCancellation(token))
        {
            rest.Add(item.ToArray());
        }

        Assert.Empty(rest);
    });

    [SkippableFact]
    public virtual Task Sending_to_a_peer_that_has_gone_away_eventually_throws_BrokenResourceException() => WithPairAsync(async (left, right, token) =>
    {
        await right.DisposeAsync();
        BrokenResourceException? broken = null;
        for (int attempt = 0; attempt < 10_000 && broken is null; attempt++)
        {
            try
            {
                await left.SendAsync(MakeItem(7), token);
            }
            catch (BrokenResourceException error)
            {
                broken = error;
            }
        }

        Assert.NotNull(broken);
    });

    [SkippableFact]
    public virtual Task A_cancelled_receive_consumes_nothing_and_leaves_the_stream_usable() => WithPairAsync(async (left, right, token) =>
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        ValueTask<ReadOnlyMemory<byte>> pending = right.ReceiveAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        await left.SendAsync(MakeItem(8), token);
        Assert.Equal(MakeItem(8), (await right.ReceiveAsync(token)).ToArray());
    });

    [SkippableFact]
    public virtual Task An_already_cancelled_token_throws_before_doing_anything() => WithPairAsync(async (left, right, token) =>
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await left.SendAsync(MakeItem(1), token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await right.ReceiveAsync(cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await left.SendAsync(MakeItem(99), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await left.SendEofAsync(cancelled.Token));
        await left.SendAsync(MakeItem(2), token);
        await left.SendEofAsync(token);
        var received = new List<byte[]>();
        await foreach (ReadOnlyMemory<byte> item in right.WithCancellation(token))
        {
            received.Add(item.ToArray());
        }

        Assert.Equal([MakeItem(1), MakeItem(2)], received);
    });
}
