namespace AnyNet.IO;

/// <summary>
/// Files without blocking the backend (AnyIO's <c>open_file</c> and <c>Path.read_bytes</c>/<c>write_bytes</c>): every
/// blocking call runs on a worker thread through <see cref="Threads.RunOnThreadAsync{T}(Func{CancellationToken, T}, CapacityLimiter?, bool, CancellationToken)"/>
/// and its limiter, exactly as AnyIO runs file I/O through <c>to_thread.run_sync</c>. Linux has no readiness for
/// regular files (epoll_ctl refuses them with EPERM), so a thread is how every event loop does it (libuv's uv_fs_*
/// uses its thread pool too).
/// </summary>
public static class File
{
    /// <summary>Opens <paramref name="path"/> as a byte stream (see <see cref="AsyncFile"/>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">How to open or create it; <see cref="FileMode.Append"/> starts at the end.</param>
    /// <param name="access">Read, write or both (default: read for <see cref="FileMode.Open"/>, write for <see cref="FileMode.Append"/>, else both).</param>
    /// <param name="limiter">The thread limiter for this file's calls (default: <see cref="Threads.DefaultLimiter"/>).</param>
    /// <param name="cancellationToken">Cancels waiting for a worker thread.</param>
    /// <exception cref="FileNotFoundException">The file does not exist and <paramref name="mode"/> does not create it.</exception>
    /// <exception cref="UnauthorizedAccessException">The path is a directory, or access is denied.</exception>
    public static async Task<AsyncFile> OpenAsync(string path, FileMode mode, FileAccess? access = null, CapacityLimiter? limiter = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileAccess chosen = access ?? mode switch
        {
            FileMode.Open => FileAccess.Read,
            FileMode.Append => FileAccess.Write,
            _ => FileAccess.ReadWrite,
        };
        return await Threads.RunOnThreadAsync(_ =>
        {
            if (Directory.Exists(path))
            {
                // open(2) of a directory for reading succeeds and every read fails with EISDIR: refuse it up front, by name.
                throw new UnauthorizedAccessException($"The path '{path}' is a directory, not a file.");
            }

            Microsoft.Win32.SafeHandles.SafeFileHandle handle = System.IO.File.OpenHandle(path, mode, chosen, FileShare.Read);
            try
            {
                long position = mode == FileMode.Append ? RandomAccess.GetLength(handle) : 0;
                return new AsyncFile(handle, path, chosen, position, limiter);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }, limiter, cancellationToken: cancellationToken);
    }

    /// <summary>Reads the whole file on a worker thread.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The path is a directory, or access is denied.</exception>
    public static Task<byte[]> ReadAllBytesAsync(string path, CapacityLimiter? limiter = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Threads.RunOnThreadAsync(_ => System.IO.File.ReadAllBytes(path), limiter, cancellationToken: cancellationToken);
    }

    /// <summary>Creates or replaces the file with <paramref name="bytes"/> on a worker thread.</summary>
    /// <exception cref="UnauthorizedAccessException">The path is a directory, or access is denied.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> bytes, CapacityLimiter? limiter = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Threads.RunOnThreadAsync(_ =>
        {
            System.IO.File.WriteAllBytes(path, bytes.Span);
            return true;
        }, limiter, cancellationToken: cancellationToken);
    }
}
