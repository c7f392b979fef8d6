using System.Text;

namespace AnyNet.Samples.Chat;

/// <summary>
/// One handler per client, in a task group of two: the reader turns each line into a broadcast, the writer drains the
/// client's bounded queue (a memory object stream) to its socket. Leaving closes the queue; eviction cancels both.
/// </summary>
internal sealed class ChatServer(ChatRoom room, int queueCapacity, int maxLineBytes)
{
    private static readonly byte[] s_newline = "\n"u8.ToArray();

    public async Task HandleAsync(IByteStream stream, CancellationToken cancellationToken)
    {
        var (outbox, inbox) = MemoryObjectStream.Create<byte[]>(queueCapacity);
        using var disconnect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var member = new ChatMember(room.NextId(), outbox, disconnect);
        room.Join(member);
        try
        {
            await TaskGroup.RunAsync(group =>
            {
                group.Start(token => WriteAsync(inbox, stream, token));
                group.Start(token => ReadAsync(stream, member, token));
                return Task.CompletedTask;
            }, disconnect.Token);
        }
        catch (OperationCanceledException) when (member.Evicted && !cancellationToken.IsCancellationRequested)
        {
            // Evicted as a slow consumer: the socket is closed by ServeAsync when this handler returns.
        }
        finally
        {
            room.Leave(member);
            inbox.Close();
        }
    }

    private async Task ReadAsync(IByteStream stream, ChatMember member, CancellationToken cancellationToken)
    {
        await using var input = new BufferedByteReceiveStream(stream, 4096, leaveOpen: true);
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> raw;
                try
                {
                    raw = await input.ReceiveUntilAsync(s_newline, maxLineBytes, cancellationToken);
                }
                catch (IncompleteReadException)
                {
                    return;
                }
                catch (DelimiterNotFoundException)
                {
                    member.TryDeliver(Encoding.UTF8.GetBytes($"* line longer than {maxLineBytes} bytes; goodbye\n"));
                    return;
                }

                ReadOnlySpan<byte> line = raw.Span;
                if (line.EndsWith("\r"u8))
                {
                    line = line[..^1];
                }

                if (line.StartsWith("/nick "u8))
                {
                    string old = member.Name;
                    string name = Encoding.UTF8.GetString(line[6..]).Trim();
                    if (name.Length is > 0 and <= 32 && !name.Any(char.IsWhiteSpace))
                    {
                        member.Name = name;
                        room.Broadcast(null, Encoding.UTF8.GetBytes($"* {old} is now {name}\n"));
                    }

                    continue;
                }

                if (line.SequenceEqual("/quit"u8))
                {
                    return;
                }

                // "name: text\n", built once and shared by every recipient's queue (nobody mutates it).
                byte[] prefix = Encoding.UTF8.GetBytes(member.Name + ": ");
                byte[] message = new byte[prefix.Length + line.Length + 1];
                prefix.CopyTo(message, 0);
                line.CopyTo(message.AsSpan(prefix.Length));
                message[^1] = (byte)'\n';
                room.Broadcast(member, message);
            }
        }
        finally
        {
            // Leaving ends the writer once it has sent what was queued.
            member.Outbox.Close();
        }
    }

    private static async Task WriteAsync(MemoryObjectReceiveStream<byte[]> inbox, IByteStream stream, CancellationToken cancellationToken)
    {
        await foreach (byte[] message in inbox.WithCancellation(cancellationToken))
        {
            await stream.SendAsync(message, cancellationToken);
        }

        await stream.SendEofAsync(cancellationToken);
    }
}
