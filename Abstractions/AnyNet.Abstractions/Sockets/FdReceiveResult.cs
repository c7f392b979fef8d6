using Microsoft.Win32.SafeHandles;

namespace AnyNet;

/// <summary>What <see cref="IFdPassingStream.ReceiveFdsAsync"/> received.</summary>
/// <param name="BytesReceived">The number of bytes written to the buffer; 0 at the end of the stream.</param>
/// <param name="Handles">The descriptors that came with the bytes, in the order they were sent; the caller owns and disposes them.</param>
public readonly record struct FdReceiveResult(int BytesReceived, SafeFileHandle[] Handles);
