using System.Net;
using System.Runtime.InteropServices;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>Reads socket options of this process's own descriptors with getsockopt(2), for tests of options a backend sets.</summary>
internal static unsafe partial class SocketOptionReader
{
    public const int SolSocket = 1;
    public const int SoKeepAlive = 9;
    public const int IpProtoTcp = 6;
    public const int TcpKeepIdle = 4;
    public const int TcpKeepIntvl = 5;
    public const int TcpKeepCnt = 6;

    // The descriptor of this process whose local and peer ports are those given: the accepted end of one connection.
    public static int FindSocket(IPEndPoint local, IPEndPoint remote)
    {
        byte* address = stackalloc byte[128];
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int fd))
            {
                continue;
            }

            int length = 128;
            if (GetSockName(fd, address, &length) != 0 || PortOf(address) != local.Port)
            {
                continue;
            }

            length = 128;
            if (GetPeerName(fd, address, &length) == 0 && PortOf(address) == remote.Port)
            {
                return fd;
            }
        }

        throw new InvalidOperationException($"No descriptor of this process is the connection {local} <- {remote}.");
    }

    // sockaddr_in and sockaddr_in6 both keep the port, big-endian, at offset 2.
    private static int PortOf(byte* address) => (address[2] << 8) | address[3];

    public static int GetOption(int fd, int level, int name)
    {
        int value = -1;
        int length = sizeof(int);
        Assert.Equal(0, GetSockOpt(fd, level, name, &value, &length));
        return value;
    }

    [LibraryImport("libc", EntryPoint = "getsockname")]
    private static partial int GetSockName(int fd, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "getpeername")]
    private static partial int GetPeerName(int fd, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "getsockopt")]
    private static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);
}
