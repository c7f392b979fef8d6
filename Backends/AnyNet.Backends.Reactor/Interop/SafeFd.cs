using System.Runtime.InteropServices;

namespace AnyNet.Backends.Reactor.Interop;

/// <summary>An owned file descriptor, closed exactly once.</summary>
internal sealed class SafeFd : SafeHandle
{
    public SafeFd(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw descriptor; valid while the handle is open (the loop owns when it is closed).</summary>
    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Libc.Close(Fd) == 0;
}
