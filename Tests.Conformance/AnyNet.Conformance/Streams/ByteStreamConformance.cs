using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// The generic checks every byte stream kind must pass (TCP, Unix, in-memory, and later TLS and buffered streams):
/// order and integrity, empty operations, busy detection, closing, peer loss, half-close and cancellation.
/// </summary>
/// <typeparam name="TFixture">The backend under test.</typeparam>
public abstract class ByteStreamConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    /// <summary>Makes two connected streams on <paramref name="backend"/>.</summary>
    protected abstract Task<(IByteStream Left, IByteStream Right)> CreatePairAsync(IAsyncBackend backend, CancellationToken cancellationToken);

    /// <summary>A capability the stream kind needs, with the reason; the tests skip without it.</summary>
    protected virtual (BackendCapabilities Capability, string Why)? Requirement => null;

    /// <summary>Runs <paramref name="body"/> with a fresh pair, disposing both ends afterwards.</summary>
    protected async Task WithPairAsync(Func<IByteStream, IByteStream, CancellationToken, Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (Requirement is { } requirement)
        {
            RequireCapability(requirement.Capability, requirement.Why);
        }

        await RunAsync(async (backend, token) =>
        {
            (IByteStream left, IByteStream right) = await CreatePairAsync(backend, token);
            await using (left)
            await using (right)
            {
                await body(left, right, token);
            }
        });
    }

    [SkippableFact]
    public virtual Task One_MiB_each_way_in_random_chunks_arrives_intact_and_in_order() => WithPairAsync(async (left, right, token) =>
    {
        const int Size = 1 << 20;
        byte[] leftData = StreamTestHelpers.RandomBytes(Size, seed: 1);
        byte[] rightData = StreamTestHelpers.RandomBytes(Size, seed: 2);
        byte[] leftReceived = [];
        byte[] rightReceived = [];

        await TaskGroup.RunAsync(group =>
        {
            group.Start(t => SendInChunksAsync(left, leftData, seed: 3, t));
            group.Start(t => SendInChunksAsync(right, rightData, seed: 4, t));
            group.Start(async t => rightReceived = await ReceiveInChunksAsync(right, Size, seed: 5, t));
            group.Start(async t => leftReceived = await ReceiveInChunksAsync(left, Size, seed: 6, t));
            return Task.CompletedTask;
        }, token);

        Assert.True(leftData.AsSpan().SequenceEqual(rightReceived), "left->right data differs");
        Assert.True(rightData.AsSpan().SequenceEqual(leftReceived), "right->left data differs");
    });

    [SkippableFact]
    public virtual Task An_empty_send_is_legal_and_sends_nothing() => WithPairAsync(async (left, right, token) =>
    {
        await left.SendAsync(ReadOnlyMemory<byte>.Empty, token);
        await left.SendAsync(new byte[] { 1, 2, 3 }, token);
        await left.SendEofAsync(token);
        Assert.Equal(new byte[] { 1, 2, 3 }, await right.ReceiveToEndAsync(cancellationToken: token));
    });

    [SkippableFact]
    public virtual Task A_zero_length_receive_waits_for_data_without_consuming_it() => WithPairAsync(async (left, right, token) =>
    {
        ValueTask<int> wait = right.ReceiveAsync(Memory<byte>.Empty, token);
        Assert.False(wait.IsCompleted, "a zero-length receive completed although nothing was sent");
        await left.SendAsync(new byte[] { 42 }, token);
        Assert.Equal(0, await wait);
        Assert.Equal(new byte[] { 42 }, await right.ReceiveExactlyAsync(1, token));
    });

    [SkippableFact]
    public virtual Task A_second_concurrent_receive_throws_BusyResourceException() => WithPairAsync(async (left, right, token) =>
    {
        byte[] buffer = new byte[16];
        ValueTask<int> first = right.ReceiveAsync(buffer, token);
        await Assert.ThrowsAsync<BusyResourceException>(async () => await right.ReceiveAsync(new byte[16], token));
        await left.SendAsync(new byte[] { 9 }, token);
        Assert.Equal(1, await first);
        Assert.Equal(9, buffer[0]);
    });

    [SkippableFact]
    public virtual Task A_second_concurrent_send_throws_BusyResourceException() => WithPairAsync(async (left, right, token) =>
    {
        // Big enough to outgrow any socket buffer, so the first send is still waiting for the peer to read.
        byte[] big = new byte[64 << 20];
        ValueTask first = left.SendAsync(big, token);
        Assert.False(first.IsCompleted, "a 64 MiB send completed without the peer reading");
        await Assert.ThrowsAsync<BusyResourceException>(async () => await left.SendAsync(new byte[] { 1 }, token));
        byte[] received = await right.ReceiveExactlyAsync(big.Length, token);
        await first;
        Assert.Equal(big.Length, received.Length);
    });

    [SkippableFact]
    public virtual Task SendEof_while_a_send_is_blocked_throws_BusyResourceException_and_the_send_still_arrives_whole() => WithPairAsync(async (left, right, token) =>
    {
        // Half-closing under a waiting send would cut it off, and the peer would read a clean end after a truncated
        // payload: silent data loss. Every stream kind refuses instead, and the send goes on untouched.
        byte[] big = new byte[64 << 20];
        for (int i = 0; i < big.Length; i++)
        {
            big[i] = (byte)(i % 251);
        }

        ValueTask first = left.SendAsync(big, token);
        Assert.False(first.IsCompleted, "a 64 MiB send completed without the peer reading");
        await Assert.ThrowsAsync<BusyResourceException>(async () => await left.SendEofAsync(token));
        byte[] received = await right.ReceiveExactlyAsync(big.Length, token);
        await first;
        Assert.True(big.AsSpan().SequenceEqual(received), "the payload arrived changed");

        // Once the send is done, the half-close works and the peer sees the end right after the payload.
        await left.SendEofAsync(token);
        Assert.Equal(0, await right.ReceiveAsync(new byte[1], token));
    });

    [SkippableFact]
    public virtual Task After_this_end_is_closed_receive_and_send_throw_ClosedResourceException() => WithPairAsync(async (left, _, token) =>
    {
        await left.DisposeAsync();
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await left.ReceiveAsync(new byte[1], token));
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await left.SendAsync(new byte[1], token));
    });

    [SkippableFact]
    public virtual Task Dispose_is_idempotent() => WithPairAsync(async (left, _, _) =>
    {
        await left.DisposeAsync();
        await left.DisposeAsync();
    });

    [SkippableFact]
    public virtual Task Closing_this_end_from_another_task_wakes_a_blocked_receive_with_ClosedResourceException() => WithPairAsync(async (left, _, token) =>
    {
        ValueTask<int> blocked = left.ReceiveAsync(new byte[8], token);
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async _ => await left.DisposeAsync());
            return Task.CompletedTask;
        }, token);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await blocked);
    });

    [SkippableFact]
    public virtual Task After_the_peer_closes_receive_returns_zero_every_time() => WithPairAsync(async (left, right, token) =>
    {
        await right.DisposeAsync();
        Assert.Equal(0, await left.ReceiveAsync(new byte[8], token));
        Assert.Equal(0, await left.ReceiveAsync(new byte[8], token));
    });

    [SkippableFact]
    public virtual Task Sending_to_a_peer_that_has_gone_away_eventually_throws_BrokenResourceException_with_the_cause_inside() => WithPairAsync(async (left, right, token) =>
    {
        await right.DisposeAsync();
        byte[] chunk = new byte[1024];
        BrokenResourceException? broken = null;
        for (int attempt = 0; attempt < 10_000 && broken is null; attempt++)
        {
            try
            {
                await left.SendAsync(chunk, token);
            }
            catch (BrokenResourceException error)
            {
                broken = error;
            }
        }

        Assert.NotNull(broken);
        Assert.NotNull(broken.InnerException);
    });

    [SkippableFact]
    public virtual Task After_SendEof_the_peer_reads_everything_then_the_end_and_can_still_send_back() => WithPairAsync(async (left, right, token) =>
    {
        byte[] data = StreamTestHelpers.RandomBytes(100_000, seed: 7);
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async t =>
            {
                await left.SendAsync(data, t);
                await left.SendEofAsync(t);
            });
            group.Start(async t =>
            {
                Assert.Equal(data, await right.ReceiveToEndAsync(cancellationToken: t));
                await right.SendAsync("reply"u8.ToArray(), t);
            });
            return Task.CompletedTask;
        }, token);
        Assert.Equal("reply"u8.ToArray(), await left.ReceiveExactlyAsync(5, token));
    });

    [SkippableFact]
    public virtual Task A_second_SendEof_does_nothing_and_a_send_after_it_throws_ClosedResourceException() => WithPairAsync(async (left, right, token) =>
    {
        await left.SendEofAsync(token);
        await left.SendEofAsync(token);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await left.SendAsync(new byte[1], token));
        Assert.Equal(0, await right.ReceiveAsync(new byte[1], token));
    });

    [SkippableFact]
    public virtual Task A_cancelled_receive_consumes_nothing_and_leaves_the_stream_usable() => WithPairAsync(async (left, right, token) =>
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        ValueTask<int> pending = right.ReceiveAsync(new byte[8], cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        await left.SendAsync(new byte[] { 5, 6 }, token);
        Assert.Equal(new byte[] { 5, 6 }, await right.ReceiveExactlyAsync(2, token));
    });

    [SkippableFact]
    public virtual Task An_already_cancelled_token_throws_before_doing_anything() => WithPairAsync(async (left, right, token) =>
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await left.SendAsync(new byte[] { 1 }, token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await right.ReceiveAsync(new byte[8], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await left.SendAsync(new byte[] { 99 }, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await left.SendEofAsync(cancelled.Token));
        await left.SendAsync(new byte[] { 2 }, token);
        await left.SendEofAsync(token);
        Assert.Equal(new byte[] { 1, 2 }, await right.ReceiveToEndAsync(cancellationToken: token));
    });

    private static async Task SendInChunksAsync(IByteSendStream stream, byte[] data, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        for (int offset = 0; offset < data.Length;)
        {
            int size = Math.Min(random.Next(1, 16 * 1024 + 1), data.Length - offset);
            await stream.SendAsync(data.AsMemory(offset, size), cancellationToken);
            offset += size;
        }
    }

    private static async Task<byte[]> ReceiveInChunksAsync(IByteReceiveStream stream, int size, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        byte[] result = new byte[size];
        for (int filled = 0; filled < size;)
        {
            int want = Math.Min(random.Next(1, 16 * 1024 + 1), size - filled);
            int n = await stream.ReceiveAsync(result.AsMemory(filled, want), cancellationToken);
            Assert.NotEqual(0, n);
            filled += n;
        }

        return result;
    }
}
