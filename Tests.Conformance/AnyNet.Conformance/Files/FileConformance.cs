using System.Security.Cryptography;
using Xunit;
using AsyncFileApi = AnyNet.IO.File;

namespace AnyNet.Conformance;

/// <summary>Files through worker threads: round trips, positions and append, and the errors of bad paths. No capability: it runs everywhere.</summary>
public abstract class FileConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task A_file_round_trips_through_WriteAllBytes_and_ReadAllBytes() => WithTempFileAsync(async (path, backend, token) =>
    {
        byte[] data = RandomNumberGenerator.GetBytes(300_000);
        await AsyncFileApi.WriteAllBytesAsync(path, data, cancellationToken: token);
        Assert.Equal(data, await AsyncFileApi.ReadAllBytesAsync(path, cancellationToken: token));
    });

    [SkippableFact]
    public virtual Task A_file_stream_writes_and_reads_back_in_chunks_and_appends() => WithTempFileAsync(async (path, backend, token) =>
    {
        byte[] data = RandomNumberGenerator.GetBytes(1024 * 1024 + 17);
        await using (AnyNet.IO.AsyncFile file = await AsyncFileApi.OpenAsync(path, FileMode.Create, cancellationToken: token))
        {
            for (int offset = 0; offset < data.Length; offset += 100_000)
            {
                await file.SendAsync(data.AsMemory(offset, Math.Min(100_000, data.Length - offset)), token);
            }

            Assert.Equal(data.Length, file.Position);
            Assert.Equal(data.Length, await file.GetLengthAsync(token));
            await file.FlushToDiskAsync(token);
            await file.SendEofAsync(token);
            await Assert.ThrowsAsync<ClosedResourceException>(async () => await file.SendAsync(new byte[1], token));
        }

        await using (AnyNet.IO.AsyncFile file = await AsyncFileApi.OpenAsync(path, FileMode.Append, cancellationToken: token))
        {
            Assert.Equal(data.Length, file.Position);
            await file.SendAsync("tail"u8.ToArray(), token);
        }

        await using (AnyNet.IO.AsyncFile file = await AsyncFileApi.OpenAsync(path, FileMode.Open, cancellationToken: token))
        {
            byte[] back = await ProcessConformance<TFixture>.ReadToEndAsync(file, token);
            Assert.Equal([.. data, .. "tail"u8.ToArray()], back);
            Assert.Equal(0, await file.ReceiveAsync(new byte[10], token));
            file.Position = 5;
            byte[] five = new byte[5];
            Assert.Equal(5, await file.ReceiveAsync(five, token));
            Assert.Equal(data.AsSpan(5, 5).ToArray(), five);
            await Assert.ThrowsAsync<NotSupportedException>(async () => await file.SendAsync(new byte[1], token));
        }
    });

    [SkippableFact]
    public virtual Task Bad_paths_fail_with_errors_that_name_them() => RunAsync(async (backend, token) =>
    {
        // Tests run as root, so a permission error cannot be provoked with file modes: a directory and a missing path fail for other reasons.
        string directory = Path.GetTempPath().TrimEnd('/');
        var isDirectory = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => AsyncFileApi.OpenAsync(directory, FileMode.Open, cancellationToken: token));
        Assert.Contains(directory, isDirectory.Message, StringComparison.Ordinal);
        var readDirectory = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => AsyncFileApi.ReadAllBytesAsync(directory, cancellationToken: token));
        Assert.Contains(directory, readDirectory.Message, StringComparison.Ordinal);

        string missing = Path.Combine(directory, "anynet-missing-" + Guid.NewGuid().ToString("N"));
        var notFound = await Assert.ThrowsAsync<FileNotFoundException>(() => AsyncFileApi.OpenAsync(missing, FileMode.Open, cancellationToken: token));
        Assert.Contains(missing, notFound.Message, StringComparison.Ordinal);
        var noDirectory = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => AsyncFileApi.WriteAllBytesAsync(Path.Combine(missing, "file"), new byte[1], cancellationToken: token));
        Assert.Contains(missing, noDirectory.Message, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task A_closed_file_refuses_calls_with_ClosedResourceException() => WithTempFileAsync(async (path, backend, token) =>
    {
        AnyNet.IO.AsyncFile file = await AsyncFileApi.OpenAsync(path, FileMode.Create, cancellationToken: token);
        await file.DisposeAsync();
        await file.DisposeAsync();
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await file.ReceiveAsync(new byte[1], token));
        await Assert.ThrowsAsync<ClosedResourceException>(async () => await file.SendAsync(new byte[1], token));
    });

    private Task WithTempFileAsync(Func<string, IAsyncBackend, CancellationToken, Task> body) => RunAsync(async (backend, token) =>
    {
        string path = Path.Combine(Path.GetTempPath(), "anynet-file-" + Guid.NewGuid().ToString("N"));
        try
        {
            await body(path, backend, token);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    });
}
