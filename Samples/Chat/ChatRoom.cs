using System.Text;

namespace AnyNet.Samples.Chat;

/// <summary>
/// The room: who is in it, and broadcasting. A broadcast never waits for a receiver: it puts the message in each
/// other member's bounded queue with <see cref="ChatMember.TryDeliver"/>, and a member whose queue is full is
/// disconnected on the spot. So one client that stops reading costs the others nothing (no sender blocks on it)
/// and costs the server at most its queue capacity in memory.
/// </summary>
internal sealed class ChatRoom(TextWriter log)
{
    private readonly Lock _gate = new();
    private readonly List<ChatMember> _members = [];
    private int _nextId;

    public int NextId() => Interlocked.Increment(ref _nextId);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _members.Count;
            }
        }
    }

    public void Join(ChatMember member)
    {
        int online;
        lock (_gate)
        {
            _members.Add(member);
            online = _members.Count;
        }

        member.TryDeliver(Encoding.UTF8.GetBytes($"* welcome {member.Name}; {online} online. /nick NAME renames you, /quit leaves\n"));
        Broadcast(member, Encoding.UTF8.GetBytes($"* {member.Name} joined\n"));
    }

    public void Leave(ChatMember member)
    {
        bool removed;
        lock (_gate)
        {
            removed = _members.Remove(member);
        }

        member.Outbox.Close();
        if (removed)
        {
            Broadcast(member, Encoding.UTF8.GetBytes(member.Evicted ? $"* {member.Name} was disconnected: too slow\n" : $"* {member.Name} left\n"));
        }
    }

    /// <summary>Sends <paramref name="message"/> to everyone but <paramref name="from"/>, evicting members whose queue is full.</summary>
    public void Broadcast(ChatMember? from, byte[] message)
    {
        ChatMember[] snapshot;
        lock (_gate)
        {
            snapshot = [.. _members];
        }

        foreach (ChatMember member in snapshot)
        {
            if (member != from && !member.TryDeliver(message) && member.Evict())
            {
                // The evicted member's own handler removes it from the room and tells the others.
                log.WriteLine($"chat: disconnecting {member.Name}: its queue is full (it stopped reading)");
            }
        }
    }
}
