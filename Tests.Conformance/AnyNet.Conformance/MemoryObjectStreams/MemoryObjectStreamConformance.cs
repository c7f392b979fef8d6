using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Memory object streams: rendezvous, buffered and unbounded capacity, non-blocking operations, exactly-once delivery
/// across clones, closing rules, and cancellation that never loses or duplicates an item.
/// </summary>
public abstract class MemoryObjectStreamConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private const int Rounds = 50;

    [SkippableFact]
    public virtual Task Items_arrive_in_the_order_they_were_sent() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(4);
        var received = new List<int>();
        await TaskGroup.RunAsync(group =>
        {
            group.Start(async t =>
            {
                await using (send)
                {
                    for (int i = 0; i < 100; i++)
                    {
                        await send.SendAsync(i, t);
                    }
                }
            });
            group.Start(async t =>
            {
                await foreach (int item in receive.WithCancellation(t))
                {
                    received.Add(item);
                }
            });
            return Task.CompletedTask;
        }, token);
        Assert.Equal(Enumerable.Range(0, 100), received);
    });

    [SkippableFact]
    public virtual Task A_rendezvous_send_waits_for_a_receiver() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<string> send, MemoryObjectReceiveStream<string> receive) = MemoryObjectStream.Create<string>(0);
        Assert.False(send.TrySend("no receiver"));
        await TaskGroup.RunAsync(async group =>
        {
            Task sending = await group.StartQueuedAsync(t => send.SendAsync("hello", t).AsTask(), token);
            Assert.False(sending.IsCompleted);
            MemoryObjectStreamStatistics stats = send.GetStatistics();
            Assert.Equal(0, stats.CurrentBufferUsed);
            Assert.Equal(0, stats.MaxBufferSize);
            Assert.Equal(1, stats.WaitingSenders);
            Assert.Equal("hello", await receive.ReceiveAsync(token));
            await sending;
        }, token);

        // A receiver that is already waiting takes a send at once.
        await TaskGroup.RunAsync(async group =>
        {
            TaskCompletionSource<string> got = new(TaskCreationOptions.RunContinuationsAsynchronously);
            await group.StartQueuedAsync(async t => got.SetResult(await receive.ReceiveAsync(t)), token);
            Assert.Equal(1, receive.GetStatistics().WaitingReceivers);
            await send.SendAsync("direct", token);
            Assert.Equal("direct", await got.Task.WaitAsync(token));
        }, token);
    });

    [SkippableFact]
    public virtual Task A_buffered_send_waits_only_when_the_buffer_is_full() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(2);
        await send.SendAsync(1, token);
        await send.SendAsync(2, token);
        Assert.Equal(2, send.GetStatistics().CurrentBufferUsed);
        await TaskGroup.RunAsync(async group =>
        {
            Task third = await group.StartQueuedAsync(t => send.SendAsync(3, t).AsTask(), token);
            Assert.False(third.IsCompleted);
            Assert.Equal(1, send.GetStatistics().WaitingSenders);
            Assert.Equal(1, await receive.ReceiveAsync(token));

            // The receive moved the blocked sender's item into the freed slot and released the sender.
            await third;
            Assert.Equal(2, send.GetStatistics().CurrentBufferUsed);
        }, token);
        Assert.Equal(2, await receive.ReceiveAsync(token));
        Assert.Equal(3, await receive.ReceiveAsync(token));
    });

    [SkippableFact]
    public virtual Task An_unbounded_stream_never_makes_the_sender_wait() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.CreateUnbounded<int>();
        for (int i = 0; i < 10_000; i++)
        {
            ValueTask sent = send.SendAsync(i, token);
            Assert.True(sent.IsCompletedSuccessfully);
            await sent;
        }

        MemoryObjectStreamStatistics stats = send.GetStatistics();
        Assert.Equal(10_000, stats.CurrentBufferUsed);
        Assert.Null(stats.MaxBufferSize);
        send.Close();
        int count = 0;
        await foreach (int item in receive.WithCancellation(token))
        {
            Assert.Equal(count++, item);
        }

        Assert.Equal(10_000, count);
    });

    [SkippableFact]
    public virtual Task A_negative_capacity_is_refused() => RunAsync((backend, token) =>
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryObjectStream.Create<int>(-1));
        return Task.CompletedTask;
    });

    [SkippableFact]
    public virtual Task Non_blocking_operations_throw_WouldBlock_when_they_cannot_proceed() => RunAsync((backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(1);
        Assert.Throws<WouldBlockException>(() => receive.ReceiveNowait());
        Assert.False(receive.TryReceive(out _));
        send.SendNowait(1);
        Assert.Throws<WouldBlockException>(() => send.SendNowait(2));
        Assert.False(send.TrySend(2));
        Assert.Equal(1, receive.ReceiveNowait());
        Assert.True(send.TrySend(3));
        Assert.True(receive.TryReceive(out int three));
        Assert.Equal(3, three);
        Assert.Equal(0, send.GetStatistics().CurrentBufferUsed);
        return Task.CompletedTask;
    });

    [SkippableFact]
    public virtual Task A_non_blocking_receive_takes_from_a_blocked_sender_and_unblocks_it() => RunAsync(async (backend, token) =>
    {
        foreach (int capacity in new[] { 0, 1 })
        {
            (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(capacity);
            if (capacity == 1)
            {
                send.SendNowait(10);
            }

            await TaskGroup.RunAsync(async group =>
            {
                Task blocked = await group.StartQueuedAsync(t => send.SendAsync(20, t).AsTask(), token);
                Assert.Equal(1, send.GetStatistics().WaitingSenders);
                if (capacity == 1)
                {
                    Assert.Equal(10, receive.ReceiveNowait());
                    await blocked;
                    Assert.Equal(20, receive.ReceiveNowait());
                }
                else
                {
                    Assert.Equal(20, receive.ReceiveNowait());
                    await blocked;
                }

                Assert.Equal(0, send.GetStatistics().WaitingSenders);
                Assert.Throws<WouldBlockException>(() => receive.ReceiveNowait());
            }, token);
        }
    });

    [SkippableFact]
    public virtual Task A_non_blocking_send_hands_the_item_to_a_waiting_receiver() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(0);
        await TaskGroup.RunAsync(async group =>
        {
            TaskCompletionSource<int> got = new(TaskCreationOptions.RunContinuationsAsynchronously);
            await group.StartQueuedAsync(async t => got.SetResult(await receive.ReceiveAsync(t)), token);
            send.SendNowait(42);
            Assert.Equal(0, send.GetStatistics().WaitingReceivers);
            Assert.Equal(42, await got.Task.WaitAsync(token));
        }, token);
    });

    [SkippableFact]
    public virtual Task Each_item_goes_to_exactly_one_receiver() => RunAsync(async (backend, token) =>
    {
        const int Senders = 4, Receivers = 4, PerSender = 500;
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(3);
        var received = new int[Senders * PerSender];
        await TaskGroup.RunAsync(group =>
        {
            for (int s = 0; s < Senders; s++)
            {
                int first = s * PerSender;
                MemoryObjectSendStream<int> clone = send.Clone();
                group.Start(async t =>
                {
                    await using (clone)
                    {
                        for (int i = 0; i < PerSender; i++)
                        {
                            await clone.SendAsync(first + i, t);
                        }
                    }
                });
            }

            send.Close();
            for (int r = 0; r < Receivers; r++)
            {
                MemoryObjectReceiveStream<int> clone = receive.Clone();
                group.Start(async t =>
                {
                    await using (clone)
                    {
                        await foreach (int item in clone.WithCancellation(t))
                        {
                            Interlocked.Increment(ref received[item]);
                        }
                    }
                });
            }

            receive.Close();
            return Task.CompletedTask;
        }, token);
        Assert.All(received, count => Assert.Equal(1, count));
    });

    [SkippableFact]
    public virtual Task Clones_share_the_stream_and_count_as_open_ends() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(10);
        MemoryObjectSendStream<int> send2 = send.Clone();
        MemoryObjectReceiveStream<int> receive2 = receive.Clone();
        MemoryObjectStreamStatistics stats = receive2.GetStatistics();
        Assert.Equal((2, 2), (stats.OpenSendStreams, stats.OpenReceiveStreams));
        await send.SendAsync(1, token);
        await send2.SendAsync(2, token);
        Assert.Equal(1, await receive2.ReceiveAsync(token));
        Assert.Equal(2, await receive.ReceiveAsync(token));
        send2.Close();
        stats = send.GetStatistics();
        Assert.Equal((1, 2), (stats.OpenSendStreams, stats.OpenReceiveStreams));
    });

    [SkippableFact]
    public virtual Task Receivers_see_the_end_only_after_every_send_clone_closed_and_the_buffer_drained() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(5);
        MemoryObjectSendStream<int> clone = send.Clone();
        await send.SendAsync(1, token);
        await clone.SendAsync(2, token);
        send.Close();
        Assert.Equal(1, await receive.ReceiveAsync(token));
        Assert.Equal(2, receive.ReceiveNowait());

        // One send clone is still open: an empty buffer is not the end yet.
        Assert.Throws<WouldBlockException>(() => receive.ReceiveNowait());
        await clone.SendAsync(3, token);
        clone.Close();
        var rest = new List<int>();
        await foreach (int item in receive.WithCancellation(token))
        {
            rest.Add(item);
        }

        Assert.Equal([3], rest);
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await receive.ReceiveAsync(token));
        Assert.Throws<EndOfStreamException>(() => receive.ReceiveNowait());
        Assert.Throws<EndOfStreamException>(() => receive.TryReceive(out _));
    });

    [SkippableFact]
    public virtual Task Closing_every_send_end_wakes_waiting_receivers_with_the_end() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(0);
        MemoryObjectReceiveStream<int> clone = receive.Clone();
        bool enumerationEnded = false;
        await TaskGroup.RunAsync(async group =>
        {
            Task waiting = await group.StartQueuedAsync(async t => await receive.ReceiveAsync(t), token);
            Task enumerating = await group.StartQueuedAsync(async t =>
            {
                await foreach (int item in clone.WithCancellation(t))
                {
                    Assert.Fail($"received {item} from a stream nobody sent on");
                }

                enumerationEnded = true;
            }, token);
            Assert.Equal(2, send.GetStatistics().WaitingReceivers);
            await send.DisposeAsync();
            await Assert.ThrowsAsync<EndOfStreamException>(() => waiting);
            await enumerating;
        }, token);
        Assert.True(enumerationEnded);
        Assert.Equal(0, receive.GetStatistics().WaitingReceivers);
    });

    [SkippableFact]
    public virtual Task Closing_every_receive_end_breaks_senders_including_blocked_ones() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(1);
        MemoryObjectReceiveStream<int> clone = receive.Clone();
        await send.SendAsync(1, token);
        await TaskGroup.RunAsync(async group =>
        {
            Task blocked = await group.StartQueuedAsync(t => send.SendAsync(2, t).AsTask(), token);
            receive.Close();
            Assert.False(blocked.IsCompleted);
            clone.Dispose();
            await Assert.ThrowsAsync<BrokenResourceException>(() => blocked);
        }, token);
        MemoryObjectStreamStatistics stats = send.GetStatistics();
        Assert.Equal((0, 0, 0), (stats.OpenReceiveStreams, stats.WaitingSenders, stats.CurrentBufferUsed));
        await Assert.ThrowsAsync<BrokenResourceException>(async () => await send.SendAsync(3, token));
        Assert.Throws<BrokenResourceException>(() => send.SendNowait(3));
        Assert.Throws<BrokenResourceException>(() => send.TrySend(3));
    });

    [SkippableFact]
    public virtual Task Using_a_closed_end_throws_ClosedResourceException() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(1);
        MemoryObjectSendStream<int> otherSend = send.Clone();
        MemoryObjectReceiveStream<int> otherReceive = receive.Clone();
        send.Close();
        receive.Close();
        send.Close();
        receive.Dispose();
        Assert.True(send.IsClosed);
        Assert.True(receive.IsClosed);
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await send.SendAsync(1, token));
        Assert.Throws<ClosedResourceException>(() => send.SendNowait(1));
        Assert.Throws<ClosedResourceException>(() => send.TrySend(1));
        Assert.Throws<ClosedResourceException>(() => send.Clone());
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await receive.ReceiveAsync(token));
        Assert.Throws<ClosedResourceException>(() => receive.ReceiveNowait());
        Assert.Throws<ClosedResourceException>(() => receive.Clone());
        await Assert.ThrowsAsync<ClosedResourceException>(async () =>
        {
            await foreach (int item in receive.WithCancellation(token))
            {
                Assert.Fail($"enumerated {item} from a closed end");
            }
        });

        // The other clones are untouched.
        await otherSend.SendAsync(7, token);
        Assert.Equal(7, await otherReceive.ReceiveAsync(token));
    });

    [SkippableFact]
    public virtual Task Closing_an_end_fails_its_own_waiting_operations_with_ClosedResourceException() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(0);
        MemoryObjectSendStream<int> otherSend = send.Clone();
        MemoryObjectReceiveStream<int> otherReceive = receive.Clone();
        await TaskGroup.RunAsync(async group =>
        {
            Task blockedReceive = await group.StartQueuedAsync(async t => await receive.ReceiveAsync(t), token);
            receive.Close();
            await Assert.ThrowsAsync<ClosedResourceException>(() => blockedReceive);

            Task blockedSend = await group.StartQueuedAsync(t => send.SendAsync(1, t).AsTask(), token);
            send.Close();
            await Assert.ThrowsAsync<ClosedResourceException>(() => blockedSend);
        }, token);

        // Nothing of the failed send is left behind.
        MemoryObjectStreamStatistics stats = otherSend.GetStatistics();
        Assert.Equal((0, 0, 0), (stats.WaitingSenders, stats.WaitingReceivers, stats.CurrentBufferUsed));
        Assert.False(otherReceive.TryReceive(out _));
    });

    [SkippableFact]
    public virtual Task A_cancelled_send_leaves_nothing_behind() => RunAsync(async (backend, token) =>
    {
        foreach (int capacity in new[] { 0, 1 })
        {
            (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(capacity);
            if (capacity == 1)
            {
                send.SendNowait(1);
            }

            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
            await TaskGroup.RunAsync(async group =>
            {
                Task blocked = await group.StartQueuedAsync(_ => send.SendAsync(2, cancel.Token).AsTask(), token);
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
            }, token);
            Assert.Equal(0, send.GetStatistics().WaitingSenders);
            if (capacity == 1)
            {
                Assert.Equal(1, receive.ReceiveNowait());
            }

            Assert.False(receive.TryReceive(out int leftover), $"the cancelled send left {leftover} behind");
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await send.SendAsync(3, new CancellationToken(canceled: true)));
            Assert.False(receive.TryReceive(out _));
        }
    });

    [SkippableFact]
    public virtual Task A_cancelled_receive_consumes_nothing() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(1);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        await TaskGroup.RunAsync(async group =>
        {
            Task cancelled = await group.StartQueuedAsync(async _ => await receive.ReceiveAsync(cancel.Token), token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.Equal(0, receive.GetStatistics().WaitingReceivers);

            // The next item goes to the next receive, not to the cancelled one.
            TaskCompletionSource<int> got = new(TaskCreationOptions.RunContinuationsAsynchronously);
            await group.StartQueuedAsync(async t => got.SetResult(await receive.ReceiveAsync(t)), token);
            await send.SendAsync(5, token);
            Assert.Equal(5, await got.Task.WaitAsync(token));
        }, token);

        send.SendNowait(6);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await receive.ReceiveAsync(new CancellationToken(canceled: true)));
        Assert.Equal(6, receive.ReceiveNowait());
    });

    [SkippableFact]
    public virtual Task An_item_handed_to_a_receiver_that_is_then_cancelled_is_still_delivered() => RunAsync(async (backend, token) =>
    {
        // Repeated: on a thread-pool backend the continuation may race the cancellation, so one round could miss a bug.
        for (int round = 0; round < Rounds; round++)
        {
            (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(0);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
            TaskCompletionSource<int> got = new(TaskCreationOptions.RunContinuationsAsynchronously);
            await TaskGroup.RunAsync(async group =>
            {
                await group.StartQueuedAsync(async _ => got.SetResult(await receive.ReceiveAsync(cancel.Token)), token);

                // The send hands the item over and returns; the cancellation that follows must not drop it.
                send.SendNowait(9);
                cancel.Cancel();
                Assert.Equal(9, await got.Task.WaitAsync(token));
            }, token);
            Assert.False(receive.TryReceive(out _));
        }
    });

    [SkippableFact]
    public virtual Task A_send_whose_item_was_taken_before_its_cancellation_succeeds() => RunAsync(async (backend, token) =>
    {
        // Repeated: on a thread-pool backend the continuation may race the cancellation, so one round could miss a bug.
        for (int round = 0; round < Rounds; round++)
        {
            (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(0);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
            await TaskGroup.RunAsync(async group =>
            {
                Task sending = await group.StartQueuedAsync(_ => send.SendAsync(4, cancel.Token).AsTask(), token);
                Assert.Equal(4, receive.ReceiveNowait());
                cancel.Cancel();

                // The item was delivered, so the send happened: it must not report a cancellation.
                await sending;
            }, token);
        }
    });

    [SkippableFact]
    public virtual Task Cancellation_under_load_never_loses_or_duplicates_an_item() => RunAsync(async (backend, token) =>
    {
        const int Items = 2000;
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(0);
        var sent = new int[Items];
        var received = new int[Items];
        await TaskGroup.RunAsync(group =>
        {
            for (int s = 0; s < 3; s++)
            {
                int seed = s;
                MemoryObjectSendStream<int> clone = send.Clone();
                group.Start(async t =>
                {
                    var random = new Random(seed);
                    await using (clone)
                    {
                        for (int item = seed; item < Items; item += 3)
                        {
                            // Retry each item with short-lived tokens until one send succeeds.
                            while (true)
                            {
                                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(t);
                                ValueTask pending = clone.SendAsync(item, attempt.Token);
                                if (random.Next(3) == 0)
                                {
                                    attempt.Cancel();
                                }

                                try
                                {
                                    await pending;
                                    Interlocked.Increment(ref sent[item]);
                                    break;
                                }
                                catch (OperationCanceledException) when (attempt.IsCancellationRequested && !t.IsCancellationRequested)
                                {
                                }
                            }
                        }
                    }
                });
            }

            send.Close();
            for (int r = 0; r < 3; r++)
            {
                int seed = 100 + r;
                MemoryObjectReceiveStream<int> clone = receive.Clone();
                group.Start(async t =>
                {
                    var random = new Random(seed);
                    await using (clone)
                    {
                        while (true)
                        {
                            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(t);
                            ValueTask<int> pending = clone.ReceiveAsync(attempt.Token);
                            if (random.Next(3) == 0)
                            {
                                attempt.Cancel();
                            }

                            try
                            {
                                Interlocked.Increment(ref received[await pending]);
                            }
                            catch (OperationCanceledException) when (attempt.IsCancellationRequested && !t.IsCancellationRequested)
                            {
                            }
                            catch (EndOfStreamException)
                            {
                                return;
                            }
                        }
                    }
                });
            }

            receive.Close();
            return Task.CompletedTask;
        }, token);
        Assert.All(sent, count => Assert.Equal(1, count));
        Assert.All(received, count => Assert.Equal(1, count));
    });

    [SkippableFact]
    public virtual Task Statistics_report_the_buffer_the_open_ends_and_the_waiters() => RunAsync(async (backend, token) =>
    {
        (MemoryObjectSendStream<int> send, MemoryObjectReceiveStream<int> receive) = MemoryObjectStream.Create<int>(1);
        Assert.Equal(new MemoryObjectStreamStatistics(0, 1, 1, 1, 0, 0), send.GetStatistics());
        await TaskGroup.RunAsync(async group =>
        {
            TaskCompletionSource<int> got = new(TaskCreationOptions.RunContinuationsAsynchronously);
            await group.StartQueuedAsync(async t => got.SetResult(await receive.ReceiveAsync(t)), token);
            Assert.Equal(new MemoryObjectStreamStatistics(0, 1, 1, 1, 0, 1), receive.GetStatistics());
            await send.SendAsync(1, token);
            Assert.Equal(1, await got.Task.WaitAsync(token));

            await send.SendAsync(2, token);
            Task blocked = await group.StartQueuedAsync(t => send.SendAsync(3, t).AsTask(), token);
            MemoryObjectSendStream<int> clone = send.Clone();
            Assert.Equal(new MemoryObjectStreamStatistics(1, 1, 2, 1, 1, 0), receive.GetStatistics());
            clone.Close();
            Assert.Equal(2, await receive.ReceiveAsync(token));
            await blocked;
            Assert.Equal(3, await receive.ReceiveAsync(token));
        }, token);
        send.Close();
        Assert.Equal(new MemoryObjectStreamStatistics(0, 1, 0, 1, 0, 0), receive.GetStatistics());
    });
}
