using System.IO.Pipes;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Readiness of descriptors the backend does not own (<see cref="IAsyncBackend.WaitReadableAsync"/>, AnyIO's
/// <c>wait_readable</c>/<c>wait_writable</c>), on pipes made outside AnyNet: readable after a write, writable at once,
/// not ready until cancelled, two waits on one descriptor, calls from other threads, and bad descriptors refused by name.
/// </summary>
public abstract class ForeignReadinessConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private void RequireReadiness()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the descriptors are Linux pipes");
        RequireCapability(BackendCapabilities.ForeignHandleReadiness, "waiting for readiness of foreign descriptors");
    }

    [SkippableFact]
    public virtual async Task A_pipe_becomes_readable_after_a_write_and_its_write_end_is_writable_at_once()
    {
        RequireReadiness();
        await RunAsync(async (backend, token) =>
        {
            using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
            using var clientEnd = pipe.ClientSafePipeHandle; // the server stream does not close the client end
            nint readEnd = pipe.ClientSafePipeHandle.DangerousGetHandle();
            nint writeEnd = pipe.SafePipeHandle.DangerousGetHandle();
            await backend.WaitWritableAsync(writeEnd, token);

            ValueTask readable = backend.WaitReadableAsync(readEnd, token);
            pipe.Write("x"u8);
            pipe.Flush();
            await readable;

            // Still readable (nothing consumed the byte): a second wait ends at once.
            await backend.WaitReadableAsync(readEnd, token);
            using var reader = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(readEnd, ownsHandle: false), FileAccess.Read, bufferSize: 0);
            Assert.Equal((int)'x', reader.ReadByte());
        });
    }

    [SkippableFact]
    public virtual async Task An_empty_pipe_is_not_readable_until_cancelled_and_a_later_wait_works()
    {
        RequireReadiness();
        await RunAsync(async (backend, token) =>
        {
            using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
            using var clientEnd = pipe.ClientSafePipeHandle; // the server stream does not close the client end
            nint readEnd = pipe.ClientSafePipeHandle.DangerousGetHandle();
            using (var cancelled = new CancellationTokenSource())
            {
                await cancelled.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await backend.WaitReadableAsync(readEnd, cancelled.Token));
            }

            // Nothing was written, so the wait can only end by its cancellation.
            using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                ValueTask waiting = backend.WaitReadableAsync(readEnd, cancel.Token);
                cancel.CancelAfter(TimeSpan.FromMilliseconds(100));
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
            }

            // The cancelled wait no longer watches the descriptor: waiting again (a new registration) works.
            ValueTask again = backend.WaitReadableAsync(readEnd, token);
            pipe.Write("y"u8);
            pipe.Flush();
            await again;
        });
    }

    [SkippableFact]
    public virtual async Task Two_waits_on_one_descriptor_and_waits_from_other_threads_all_complete()
    {
        RequireReadiness();
        await RunAsync(async (backend, token) =>
        {
            using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
            using var clientEnd = pipe.ClientSafePipeHandle; // the server stream does not close the client end
            nint readEnd = pipe.ClientSafePipeHandle.DangerousGetHandle();
            ValueTask first = backend.WaitReadableAsync(readEnd, token);
            ValueTask second = backend.WaitReadableAsync(readEnd, token);
            Task third = Task.Run(async () => await backend.WaitReadableAsync(readEnd, token), token);
            pipe.Write("z"u8);
            pipe.Flush();
            await first;
            await second;
            await third;
            await Task.Run(async () => await backend.WaitWritableAsync(pipe.SafePipeHandle.DangerousGetHandle(), token), token);
        });
    }

    [SkippableFact]
    public virtual async Task Bad_descriptors_are_refused_by_name()
    {
        RequireReadiness();
        await RunAsync(async (backend, token) =>
        {
            ArgumentException notOpen = await Assert.ThrowsAsync<ArgumentException>(async () => await backend.WaitReadableAsync(987654, token));
            Assert.Contains("987654", notOpen.Message, StringComparison.Ordinal);
            Assert.Contains("EBADF", notOpen.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ArgumentException>(async () => await backend.WaitWritableAsync(-1, token));

            // A regular file is always "ready" to poll(2) and refused by epoll(7): every backend refuses it.
            string path = Path.Combine(Path.GetTempPath(), "anynet-ready-" + Guid.NewGuid().ToString("N"));
            try
            {
                using Microsoft.Win32.SafeHandles.SafeFileHandle file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
                ArgumentException regular = await Assert.ThrowsAsync<ArgumentException>(async () => await backend.WaitReadableAsync(file.DangerousGetHandle(), token));
                Assert.Contains("regular file", regular.Message, StringComparison.Ordinal);
            }
            finally
            {
                File.Delete(path);
            }
        });
    }
}
