using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Passing descriptors over Unix stream sockets (SCM_RIGHTS, <see cref="IFdPassingStream"/>): a pipe and a file passed
/// and used on the other side, several at once in order, close-on-exec on arrival, bad input refused by name, more
/// descriptors than asked for closed and reported, a send that waits for room, cancellation taking nothing, and the busy rules shared with plain I/O.
/// </summary>
public abstract class FdPassingConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private void RequireFdPassing()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the checks read /proc (Linux)");
        RequireCapability(BackendCapabilities.FdPassing, "passing descriptors over Unix sockets");
    }

    /// <summary>A connected Unix pair of the backend, as descriptor-passing streams.</summary>
    protected static async Task<(IFdPassingStream Client, IFdPassingStream Server, ISocketListener Listener)> UnixPairAsync(IAsyncBackend backend, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ISocketListener listener = backend.ListenUnix(StreamTestHelpers.NewUnixPath());
        var (client, server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        return (Assert.IsAssignableFrom<IFdPassingStream>(client), Assert.IsAssignableFrom<IFdPassingStream>(server), listener);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a connected Unix pair of the backend and a pipe whose read end
    /// (<c>pipe.ClientSafePipeHandle</c>) is the descriptor to pass; everything is closed afterwards.
    /// </summary>
    private Task WithPairAndPipeAsync(Func<IAsyncBackend, IFdPassingStream, IFdPassingStream, AnonymousPipeServerStream, CancellationToken, Task> body) =>
        WithPairAndPipeAsync(HandleInheritability.None, body);

    private Task WithPairAndPipeAsync(HandleInheritability inheritability, Func<IAsyncBackend, IFdPassingStream, IFdPassingStream, AnonymousPipeServerStream, CancellationToken, Task> body) =>
        RunAsync(async (backend, token) =>
        {
            var (client, server, listener) = await UnixPairAsync(backend, token);
            await using (listener)
            await using (client)
            await using (server)
            using (var pipe = new AnonymousPipeServerStream(PipeDirection.Out, inheritability))
            using (pipe.ClientSafePipeHandle) // the server stream does not close the client end
            {
                await body(backend, client, server, pipe, token);
            }
        });

    /// <summary>What /proc/self/fd says descriptor <paramref name="handle"/> is ("pipe:[123]", a path...).</summary>
    protected static string Target(SafeHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget ?? "?";
    }

    /// <summary>How many of this process's descriptors point at <paramref name="target"/>.</summary>
    protected static int CountOpen(string target) => OsResources.OpenDescriptors().Values.Count(t => t == target);

    [SkippableFact]
    public virtual async Task A_pipe_passed_over_a_unix_socket_is_usable_on_the_other_side()
    {
        RequireFdPassing();
        await WithPairAndPipeAsync(async (_, client, server, pipe, token) =>
        {
            await client.SendFdsAsync("take this"u8.ToArray(), [pipe.ClientSafePipeHandle], token);
            var buffer = new byte[64];
            FdReceiveResult received = await server.ReceiveFdsAsync(buffer, 4, token);
            Assert.Equal("take this", System.Text.Encoding.ASCII.GetString(buffer, 0, received.BytesReceived));
            SafeFileHandle passed = Assert.Single(received.Handles);
            using (passed)
            {
                Assert.NotEqual(pipe.ClientSafePipeHandle.DangerousGetHandle(), passed.DangerousGetHandle());
                Assert.Equal(Target(pipe.ClientSafePipeHandle), Target(passed));

                // The received descriptor is the read end of the same pipe: bytes written here come out there.
                pipe.Write("through the pipe"u8);
                pipe.Flush();
                using var reader = new FileStream(passed, FileAccess.Read, bufferSize: 0);
                var read = new byte[16];
                await reader.ReadExactlyAsync(read, token);
                Assert.Equal("through the pipe"u8.ToArray(), read);
            }
        });
    }

    [SkippableFact]
    public virtual async Task Several_descriptors_arrive_in_order_and_plain_bytes_arrive_without_any()
    {
        RequireFdPassing();
        string path = Path.Combine(Path.GetTempPath(), "anynet-fd-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(path, "file contents");
        try
        {
            await WithPairAndPipeAsync(async (_, client, server, pipe, token) =>
            {
                using (SafeFileHandle file = File.OpenHandle(path))
                {
                    SafeHandle[] sent = [file, pipe.ClientSafePipeHandle, pipe.SafePipeHandle];
                    // From the server side this time, and from a thread-pool thread: the backend brings it to its loop.
                    await Task.Run(async () => await server.SendFdsAsync("three"u8.ToArray(), sent, token), token);
                    var buffer = new byte[16];
                    FdReceiveResult received = await client.ReceiveFdsAsync(buffer, 8, token);
                    Assert.Equal(5, received.BytesReceived);
                    Assert.Equal(3, received.Handles.Length);
                    try
                    {
                        for (int i = 0; i < sent.Length; i++)
                        {
                            Assert.Equal(Target(sent[i]), Target(received.Handles[i]));
                        }

                        var contents = new byte[13];
                        Assert.Equal(13, RandomAccess.Read(received.Handles[0], contents, 0));
                        Assert.Equal("file contents"u8.ToArray(), contents);
                    }
                    finally
                    {
                        foreach (SafeFileHandle handle in received.Handles)
                        {
                            handle.Dispose();
                        }
                    }

                    await server.SendAsync("plain"u8.ToArray(), token);
                    FdReceiveResult plain = await client.ReceiveFdsAsync(buffer, 8, token);
                    Assert.Equal(5, plain.BytesReceived);
                    Assert.Empty(plain.Handles);

                    // The end of the stream is a zero-byte result.
                    await server.SendEofAsync(token);
                    Assert.Equal(0, (await client.ReceiveFdsAsync(buffer, 8, token)).BytesReceived);
                }
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public virtual async Task Received_descriptors_are_close_on_exec()
    {
        RequireFdPassing();
        await WithPairAndPipeAsync(HandleInheritability.Inheritable, async (_, client, server, pipe, token) =>
        {
            // Sent without FD_CLOEXEC (inheritable), received with it (MSG_CMSG_CLOEXEC): no child started meanwhile inherits it.
            Assert.False(IsCloseOnExec(pipe.ClientSafePipeHandle));
            await client.SendFdsAsync("x"u8.ToArray(), [pipe.ClientSafePipeHandle], token);
            FdReceiveResult received = await server.ReceiveFdsAsync(new byte[1], 1, token);
            using SafeFileHandle passed = Assert.Single(received.Handles);
            Assert.True(IsCloseOnExec(passed));
        });
    }

    [SkippableFact]
    public virtual async Task Bad_input_is_refused_by_name_and_the_stream_stays_usable()
    {
        RequireFdPassing();
        await WithPairAndPipeAsync(async (backend, client, server, pipe, token) =>
        {
            using var notOpen = new SafeFileHandle(987654, ownsHandle: false);
            ArgumentException badFd = await Assert.ThrowsAsync<ArgumentException>(async () => await client.SendFdsAsync("x"u8.ToArray(), [pipe.ClientSafePipeHandle, notOpen], token));
            Assert.Contains("987654", badFd.Message, StringComparison.Ordinal);
            Assert.Contains("index 1", badFd.Message, StringComparison.Ordinal);

            ArgumentException empty = await Assert.ThrowsAsync<ArgumentException>(async () => await client.SendFdsAsync(ReadOnlyMemory<byte>.Empty, [pipe.ClientSafePipeHandle], token));
            Assert.Contains("at least one byte", empty.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ArgumentException>(async () => await client.SendFdsAsync("x"u8.ToArray(), [], token));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await client.SendFdsAsync("x"u8.ToArray(), Enumerable.Repeat<SafeHandle>(pipe.ClientSafePipeHandle, 254).ToArray(), token));
            var closed = new SafeFileHandle(0, ownsHandle: false);
            closed.Dispose();
            Assert.Contains("closed", (await Assert.ThrowsAsync<ArgumentException>(async () => await client.SendFdsAsync("x"u8.ToArray(), [closed], token))).Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await server.ReceiveFdsAsync(new byte[1], 0, token));
            await Assert.ThrowsAsync<ArgumentException>(async () => await server.ReceiveFdsAsync(Memory<byte>.Empty, 1, token));

            // Only Unix sockets carry descriptors.
            await using (ISocketListener tcpListener = backend.ListenTcp(StreamTestHelpers.Loopback4))
            {
                var (tcpClient, tcpServer) = await StreamTestHelpers.ConnectPairAsync(backend, tcpListener, token);
                await using (tcpClient)
                await using (tcpServer)
                {
                    if (tcpClient is IFdPassingStream tcp)
                    {
                        await Assert.ThrowsAsync<NotSupportedException>(async () => await tcp.SendFdsAsync("x"u8.ToArray(), [pipe.ClientSafePipeHandle], token));
                        await Assert.ThrowsAsync<NotSupportedException>(async () => await tcp.ReceiveFdsAsync(new byte[1], 1, token));
                    }
                }
            }

            // Nothing of the refused sends arrived; a good one does.
            await client.SendFdsAsync("ok"u8.ToArray(), [pipe.ClientSafePipeHandle], token);
            var buffer = new byte[8];
            FdReceiveResult received = await server.ReceiveFdsAsync(buffer, 1, token);
            Assert.Equal("ok"u8.ToArray(), buffer[..received.BytesReceived]);
            Assert.Single(received.Handles).Dispose();

            await client.DisposeAsync();
            await Assert.ThrowsAsync<ClosedResourceException>(async () => await client.SendFdsAsync("x"u8.ToArray(), [pipe.ClientSafePipeHandle], token));
        });
    }

    [SkippableFact]
    public virtual async Task More_descriptors_than_asked_for_are_closed_and_reported()
    {
        RequireFdPassing();
        await WithPairAndPipeAsync(async (_, client, server, pipe, token) =>
        {
            string target = Target(pipe.ClientSafePipeHandle);
            int before = CountOpen(target);
            var buffer = new byte[8];

            // Two where one was asked for (they fit the control buffer), then three (the kernel truncates: MSG_CTRUNC).
            await client.SendFdsAsync("a"u8.ToArray(), [pipe.ClientSafePipeHandle, pipe.ClientSafePipeHandle], token);
            IOException two = await Assert.ThrowsAsync<IOException>(async () => await server.ReceiveFdsAsync(buffer, 1, token));
            Assert.Contains("more descriptors", two.Message, StringComparison.Ordinal);
            Assert.Equal(before, CountOpen(target));

            await client.SendFdsAsync("b"u8.ToArray(), [pipe.ClientSafePipeHandle, pipe.ClientSafePipeHandle, pipe.ClientSafePipeHandle, pipe.ClientSafePipeHandle], token);
            await Assert.ThrowsAsync<IOException>(async () => await server.ReceiveFdsAsync(buffer, 1, token));
            Assert.Equal(before, CountOpen(target));

            // The stream goes on.
            await client.SendFdsAsync("c"u8.ToArray(), [pipe.ClientSafePipeHandle], token);
            FdReceiveResult received = await server.ReceiveFdsAsync(buffer, 1, token);
            Assert.Equal((byte)'c', buffer[0]);
            Assert.Single(received.Handles).Dispose();
            Assert.Equal(before, CountOpen(target));
        });
    }

    [SkippableFact]
    public virtual async Task A_cancelled_receive_takes_nothing_and_busy_rules_hold()
    {
        RequireFdPassing();
        await WithPairAndPipeAsync(async (_, client, server, pipe, token) =>
        {
            var buffer = new byte[8];
            using (var cancelled = new CancellationTokenSource())
            {
                await cancelled.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await server.ReceiveFdsAsync(buffer, 1, cancelled.Token));
            }

            using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                ValueTask<FdReceiveResult> pending = server.ReceiveFdsAsync(buffer, 1, cancel.Token);
                // A second receive of either kind is busy while it waits.
                await Assert.ThrowsAsync<BusyResourceException>(async () => await server.ReceiveAsync(new byte[1], token));
                await Assert.ThrowsAsync<BusyResourceException>(async () => await server.ReceiveFdsAsync(new byte[1], 1, token));
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
            }

            // A receive that waits when the descriptors arrive gets them (the wait for readability consumes nothing).
            ValueTask<FdReceiveResult> waiting = server.ReceiveFdsAsync(buffer, 1, token);
            await client.SendFdsAsync("after"u8.ToArray(), [pipe.ClientSafePipeHandle], token);
            FdReceiveResult received = await waiting;
            Assert.Equal("after"u8.ToArray(), buffer[..received.BytesReceived]);
            Assert.Single(received.Handles).Dispose();
        });
    }

    [SkippableFact]
    public virtual async Task A_descriptor_send_that_finds_the_socket_full_waits_for_the_reader_and_a_cancelled_one_sends_nothing()
    {
        RequireFdPassing();
        await WithPairAndPipeAsync(async (_, client, server, pipe, token) =>
        {
            string target = Target(pipe.ClientSafePipeHandle);
            int openBefore = CountOpen(target);
            long filled = SocketFiller.FillUntilFull(client.GetAttribute(TypedAttributes.RawHandle));

            // A send that has to wait for room, then is cancelled: nothing goes, nothing is left open.
            using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                ValueTask cancelled = client.SendFdsAsync("never"u8.ToArray(), [pipe.ClientSafePipeHandle], cancel.Token);
                Assert.False(cancelled.IsCompleted, "a descriptor send on a full socket finished without waiting");
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
            }

            // The next one waits for room too, and goes once the reader has taken exactly the filler.
            ValueTask sending = client.SendFdsAsync("after the filler"u8.ToArray(), [pipe.ClientSafePipeHandle], token);
            Assert.False(sending.IsCompleted, "a descriptor send on a full socket finished without waiting");
            var chunk = new byte[64 * 1024];
            for (long drained = 0; drained < filled;)
            {
                // Never past the filler: a plain receive that reached the message would discard its descriptor.
                int n = await server.ReceiveAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, filled - drained)), token);
                drained += n > 0 ? n : throw new EndOfStreamException($"the stream ended after {drained} of {filled} filler bytes");
            }

            await sending;
            var buffer = new byte[64];
            FdReceiveResult received = await server.ReceiveFdsAsync(buffer, 4, token);
            Assert.Equal("after the filler", System.Text.Encoding.ASCII.GetString(buffer, 0, received.BytesReceived));
            using (SafeFileHandle passed = Assert.Single(received.Handles))
            {
                Assert.Equal(target, Target(passed));
            }

            // The cancelled send left no duplicate of the descriptor behind, in flight or in the process.
            await client.SendEofAsync(token);
            Assert.Equal(0, (await server.ReceiveFdsAsync(buffer, 4, token)).BytesReceived);
            Assert.Equal(openBefore, CountOpen(target));
        });
    }

    private static bool IsCloseOnExec(SafeHandle handle)
    {
        // /proc/self/fdinfo/N: "flags:\t02100002", octal; O_CLOEXEC is 02000000.
        string line = File.ReadLines($"/proc/self/fdinfo/{handle.DangerousGetHandle()}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        long flags = Convert.ToInt64(line["flags:".Length..].Trim(), 8);
        return (flags & 0x80000) != 0;
    }
}
