namespace AnyNet;

/// <summary>A snapshot of a memory object stream, shared by every clone of both ends.</summary>
/// <param name="CurrentBufferUsed">How many items are buffered.</param>
/// <param name="MaxBufferSize">The buffer's capacity (0 for a rendezvous), or null when unbounded.</param>
/// <param name="OpenSendStreams">How many send clones are open.</param>
/// <param name="OpenReceiveStreams">How many receive clones are open.</param>
/// <param name="WaitingSenders">How many sends wait for room or a receiver.</param>
/// <param name="WaitingReceivers">How many receives wait for an item.</param>
public readonly record struct MemoryObjectStreamStatistics(
    int CurrentBufferUsed,
    int? MaxBufferSize,
    int OpenSendStreams,
    int OpenReceiveStreams,
    int WaitingSenders,
    int WaitingReceivers);
