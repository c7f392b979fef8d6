using System.Net;

namespace AnyNet;

/// <summary>One received datagram: its length in the caller's buffer and its sender.</summary>
/// <param name="Length">Bytes written to the buffer.</param>
/// <param name="RemoteEndPoint">The sender's address.</param>
public readonly record struct DatagramReceiveResult(int Length, EndPoint RemoteEndPoint);
