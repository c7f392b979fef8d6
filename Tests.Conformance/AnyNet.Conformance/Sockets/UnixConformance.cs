using System.Net.Sockets;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>Unix domain sockets: paths, their files and the errors of bad input.</summary>
public abstract class UnixConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    [SkippableFact]
    public virtual Task A_listener_accepts_a_connection_on_its_path_and_removes_the_file_on_dispose() => RunAsync(async (backend, token) =>
    {
        RequireUnix(backend);
        string path = StreamTestHelpers.NewUnixPath();
        ISocketListener listener = backend.ListenUnix(path);
        Assert.True(File.Exists(path));
        (ISocketStream client, ISocketStream server) = await StreamTestHelpers.ConnectPairAsync(backend, listener, token);
        await using (client)
        await using (server)
        {
            Assert.IsType<UnixDomainSocketEndPoint>(client.RemoteEndPoint);
            await client.SendAsync("unix"u8.ToArray(), token);
            Assert.Equal("unix"u8.ToArray(), await server.ReceiveExactlyAsync(4, token));
        }

        await listener.DisposeAsync();
        Assert.False(File.Exists(path));
    });

    [SkippableFact]
    public virtual Task Listening_on_an_existing_path_fails_with_AddressAlreadyInUse_naming_the_path() => RunAsync(async (backend, token) =>
    {
        RequireUnix(backend);
        string path = StreamTestHelpers.NewUnixPath();
        await File.WriteAllTextAsync(path, "not a socket", token);
        try
        {
            var error = Assert.Throws<SocketException>(() => backend.ListenUnix(path));
            Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Equal("not a socket", await File.ReadAllTextAsync(path, token));
        }
        finally
        {
            File.Delete(path);
        }
    });

    [SkippableFact]
    public virtual Task Listening_in_a_missing_directory_fails_with_No_such_file_or_directory() => RunAsync((backend, token) =>
    {
        RequireUnix(backend);
        string directory = Path.Combine(Path.GetTempPath(), $"anynet-missing-{Guid.NewGuid():N}");
        string path = Path.Combine(directory, "s.sock");

        // The same words on every backend, whatever the OS layer underneath says (libuv turns ENOENT into EACCES).
        var listen = Assert.Throws<SocketException>(() => backend.ListenUnix(path));
        Assert.Contains("No such file or directory", listen.Message, StringComparison.Ordinal);
        Assert.Contains(path, listen.Message, StringComparison.Ordinal);
        Assert.Equal(SocketError.AddressNotAvailable, listen.SocketErrorCode);

        if (backend.Capabilities.HasFlag(BackendCapabilities.UnixDatagram))
        {
            var bind = Assert.Throws<SocketException>(() => backend.BindUnixDatagram(path));
            Assert.Contains("No such file or directory", bind.Message, StringComparison.Ordinal);
            Assert.Contains(path, bind.Message, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(directory));
        return Task.CompletedTask;
    });

    [SkippableFact]
    public virtual Task Connecting_to_a_missing_path_fails_with_SocketException_naming_the_path() => RunAsync(async (backend, token) =>
    {
        RequireUnix(backend);
        string path = StreamTestHelpers.NewUnixPath();
        var error = await Assert.ThrowsAsync<SocketException>(async () => await backend.ConnectUnixAsync(path, token));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    });

    [SkippableFact]
    public virtual Task Empty_and_null_paths_are_rejected_with_ArgumentException() => RunAsync(async (backend, token) =>
    {
        RequireUnix(backend);
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await backend.ConnectUnixAsync(string.Empty, token));
        Assert.ThrowsAny<ArgumentException>(() => backend.ListenUnix(null!));
    });

    [SkippableFact]
    public virtual Task Unix_datagrams_travel_between_two_bound_sockets() => RunAsync(async (backend, token) =>
    {
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.UnixDatagram), $"skipped: the '{backend.Name}' backend does not declare UnixDatagram");
        string serverPath = StreamTestHelpers.NewUnixPath();
        string clientPath = StreamTestHelpers.NewUnixPath();
        await using IDatagramSocket server = backend.BindUnixDatagram(serverPath);
        await using IDatagramSocket client = backend.BindUnixDatagram(clientPath, serverPath);
        await client.SendToAsync("ping"u8.ToArray(), cancellationToken: token);
        byte[] buffer = new byte[64];
        DatagramReceiveResult received = await server.ReceiveFromAsync(buffer, token);
        Assert.Equal("ping"u8.ToArray(), buffer.AsSpan(0, received.Length).ToArray());
        Assert.Equal(clientPath, received.RemoteEndPoint.ToString());
        await server.SendToAsync("pong"u8.ToArray(), received.RemoteEndPoint, token);
        DatagramReceiveResult reply = await client.ReceiveFromAsync(buffer, token);
        Assert.Equal("pong"u8.ToArray(), buffer.AsSpan(0, reply.Length).ToArray());
    });

    private static void RequireUnix(IAsyncBackend backend) =>
        Skip.IfNot(backend.Capabilities.HasFlag(BackendCapabilities.UnixSockets), $"skipped: the '{backend.Name}' backend does not declare UnixSockets");
}
