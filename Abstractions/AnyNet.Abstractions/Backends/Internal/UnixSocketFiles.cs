using System.Runtime.InteropServices;

namespace AnyNet.Backends.Internal;

/// <summary>Tells a Unix socket file from any other file (no managed API exposes the file type bits of stat(2)).</summary>
internal static unsafe partial class UnixSocketFiles
{
    private const int S_IFMT = 0xF000;
    private const int S_IFSOCK = 0xC000;

    // Offset of st_mode in struct stat: x86-64 has st_dev, st_ino, st_nlink (8 bytes each) before it; the generic layout
    // (AArch64 and the others) has st_dev and st_ino only (linux/include/uapi/asm-generic/stat.h).
    private static readonly int s_modeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;

    /// <summary>True when <paramref name="path"/> is itself (not through a symbolic link) a socket.</summary>
    public static bool IsSocket(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            // Elsewhere the layout of struct stat differs: never claim a file is a socket that may be removed.
            return false;
        }

        byte* buffer = stackalloc byte[256];
        if (LStat(path, buffer) != 0)
        {
            return false;
        }

        uint mode = *(uint*)(buffer + s_modeOffset);
        return (mode & S_IFMT) == S_IFSOCK;
    }

    // lstat is a real symbol of glibc since 2.33 (before, only __lxstat was).
    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LStat(string path, byte* buffer);
}
