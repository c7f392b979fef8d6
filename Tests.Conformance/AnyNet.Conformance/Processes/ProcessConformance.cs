using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace AnyNet.Conformance;

/// <summary>
/// Child processes: streamed stdio, exit codes, run-to-completion with checking, cancellation that kills and reaps,
/// environment, working directory, stdin from a file or nothing, and the errors of bad input. Only /bin/sh, cat, echo,
/// sleep, true and false are run.
/// </summary>
public abstract class ProcessConformance<TFixture> : ConformanceTest<TFixture>
    where TFixture : IBackendFixture, new()
{
    private void RequireProcesses() => RequireCapability(BackendCapabilities.Subprocesses, "child processes");

    [SkippableFact]
    public virtual async Task The_exit_code_is_returned_by_WaitAsync()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            foreach ((string program, string[] arguments, int expected) in new[] { ("true", Array.Empty<string>(), 0), ("false", [], 1), ("/bin/sh", ["-c", "exit 42"], 42) })
            {
                await using IAsyncProcess process = await backend.OpenProcessAsync(new ProcessStartOptions(program, arguments) { StandardInput = ProcessStdio.Null }, token);
                Assert.True(process.Pid > 0);
                Assert.Equal(expected, await process.WaitAsync(token));
                Assert.Equal(expected, process.ExitCode);
            }
        });
    }

    [SkippableFact]
    public virtual async Task A_process_killed_by_a_signal_exits_with_128_plus_the_signal()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            await using IAsyncProcess killed = await backend.OpenProcessAsync(new ProcessStartOptions("sleep", "30"), token);
            Assert.Null(killed.ExitCode);
            killed.Kill();
            Assert.Equal(128 + 9, await killed.WaitAsync(token));

            await using IAsyncProcess terminated = await backend.OpenProcessAsync(new ProcessStartOptions("sleep", "30"), token);
            terminated.Terminate();
            Assert.Equal(128 + 15, await terminated.WaitAsync(token));
            terminated.Kill(); // after the reap: does nothing
        });
    }

    [SkippableFact]
    public virtual async Task Standard_error_is_kept_apart_from_standard_output()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            ProcessResult result = await backend.RunProcessAsync("/bin/sh", ["-c", "echo out; echo err >&2; echo out2"], cancellationToken: token);
            Assert.Equal("out\nout2\n", Encoding.UTF8.GetString(result.StandardOutput));
            Assert.Equal("err\n", Encoding.UTF8.GetString(result.StandardError));
            Assert.Equal(0, result.ExitCode);
        });
    }

    [SkippableFact]
    public virtual async Task Ten_MiB_stream_through_cat_both_ways_at_once_without_deadlock()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            byte[] data = RandomNumberGenerator.GetBytes(10 * 1024 * 1024);
            await using IAsyncProcess process = await backend.OpenProcessAsync(new ProcessStartOptions("cat"), token);
            // One spare byte, so a surplus from cat would be seen and the last receive is never zero-length.
            byte[] received = new byte[data.Length + 1];
            int total = 0;
            await TaskGroup.RunAsync(group =>
            {
                group.Start(async t =>
                {
                    // Uneven chunks, far larger than a pipe's 64 KiB buffer: the writer blocks until cat's output is read.
                    for (int offset = 0, size = 1000; offset < data.Length; offset += size, size = size * 7 % 300_000 + 1)
                    {
                        await process.StandardInput!.SendAsync(data.AsMemory(offset, Math.Min(size, data.Length - offset)), t);
                    }

                    await process.StandardInput!.DisposeAsync();
                });
                group.Start(async t =>
                {
                    int read;
                    while ((read = await process.StandardOutput!.ReceiveAsync(received.AsMemory(total, Math.Min(100_000, received.Length - total)), t)) > 0)
                    {
                        total += read;
                        Assert.True(total <= data.Length, "cat sent more than it was given");
                    }
                });
                return Task.CompletedTask;
            }, token);
            Assert.Equal(data.Length, total);
            Assert.True(data.AsSpan().SequenceEqual(received.AsSpan(0, data.Length)), "the bytes came back changed");
            Assert.Equal(0, await process.WaitAsync(token));
        }, TimeSpan.FromSeconds(60));
    }

    [SkippableFact]
    public virtual async Task RunProcessAsync_feeds_input_and_collects_output()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            ProcessResult result = await backend.RunProcessAsync(new ProcessStartOptions("cat"), "fed through stdin"u8.ToArray(), cancellationToken: token);
            Assert.Equal("fed through stdin", Encoding.UTF8.GetString(result.StandardOutput));
            Assert.Empty(result.StandardError);
        });
    }

    [SkippableFact]
    public virtual async Task A_failing_process_throws_ProcessFailedException_with_the_code_and_stderr_unless_unchecked()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            var error = await Assert.ThrowsAsync<ProcessFailedException>(() => backend.RunProcessAsync("/bin/sh", ["-c", "echo partial; echo 'it went wrong' >&2; exit 3"], cancellationToken: token));
            Assert.Equal(3, error.ExitCode);
            Assert.Equal("/bin/sh", error.FileName);
            Assert.Contains("it went wrong", error.Message, StringComparison.Ordinal);
            Assert.Equal("it went wrong\n", Encoding.UTF8.GetString([.. error.StandardError]));
            Assert.Equal("partial\n", Encoding.UTF8.GetString([.. error.StandardOutput]));

            ProcessResult unchecked_ = await backend.RunProcessAsync("false", [], check: false, cancellationToken: token);
            Assert.Equal(1, unchecked_.ExitCode);
        });
    }

    [SkippableFact]
    public virtual async Task Disposing_a_running_process_kills_and_reaps_it()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            IAsyncProcess process = await backend.OpenProcessAsync(new ProcessStartOptions("/bin/sh", "-c", "echo ready; exec sleep 30"), token);
            int pid = process.Pid;
            byte[] line = await process.StandardOutput!.ReceiveExactlyAsync(6, token);
            Assert.Equal("ready\n", Encoding.ASCII.GetString(line));
            Assert.True(OsResources.IsChild(pid), "the child is not in /proc");
            await process.DisposeAsync();
            Assert.False(OsResources.IsChild(pid), $"process {pid} is still a child (state {OsResources.StateOf(pid)}) after dispose: not killed or not reaped");
            Assert.Equal(128 + 9, process.ExitCode);
        });
    }

    [SkippableFact]
    public virtual async Task Cancelling_RunProcessAsync_kills_and_reaps_the_process()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            // The child announces itself by writing its pid into a file we then see appear; the run is cancelled after that.
            string marker = Path.Combine(Path.GetTempPath(), "anynet-pid-" + Guid.NewGuid().ToString("N"));
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
            var options = new ProcessStartOptions("/bin/sh", "-c", "echo $$ > \"$1.tmp\" && mv \"$1.tmp\" \"$1\" && exec sleep 30", "sh", marker) { StandardInput = ProcessStdio.Null };
            Task<ProcessResult> run = backend.RunProcessAsync(options, cancellationToken: cancel.Token);
            int pid = await WaitForPidFileAsync(marker, run, token);
            try
            {
                Assert.True(OsResources.IsChild(pid));
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
                Assert.False(OsResources.IsChild(pid), $"process {pid} is still a child (state {OsResources.StateOf(pid)}) after the cancelled run");
            }
            finally
            {
                File.Delete(marker);
            }
        });
    }

    [SkippableFact]
    public virtual async Task Environment_and_working_directory_are_applied()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            string directory = Directory.CreateTempSubdirectory("anynet-cwd-").FullName;
            try
            {
                Environment.SetEnvironmentVariable("ANYNET_INHERITED_PROBE", "inherited");
                var options = new ProcessStartOptions("/bin/sh", "-c", "echo \"$ANYNET_PROBE\"; echo \"${ANYNET_INHERITED_PROBE-unset}\"; echo \"${HOME-unset}\"; pwd") { WorkingDirectory = directory, StandardInput = ProcessStdio.Null };
                options.Environment["ANYNET_PROBE"] = "set by the options";
                options.Environment["HOME"] = null;
                ProcessResult result = await backend.RunProcessAsync(options, cancellationToken: token);
                Assert.Equal($"set by the options\ninherited\nunset\n{directory}\n", Encoding.UTF8.GetString(result.StandardOutput));

                var bare = new ProcessStartOptions("/bin/sh", "-c", "echo \"${ANYNET_INHERITED_PROBE-none}\"") { InheritEnvironment = false, StandardInput = ProcessStdio.Null };
                Assert.Equal("none\n", Encoding.UTF8.GetString((await backend.RunProcessAsync(bare, cancellationToken: token)).StandardOutput));
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        });
    }

    [SkippableFact]
    public virtual async Task Standard_input_can_come_from_a_file_or_from_nothing()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            string file = Path.GetTempFileName();
            try
            {
                byte[] content = RandomNumberGenerator.GetBytes(200_000);
                await File.WriteAllBytesAsync(file, content, token);
                var fromFile = new ProcessStartOptions("cat") { StandardInput = ProcessStdio.File, StandardInputFile = file };
                await using (IAsyncProcess process = await backend.OpenProcessAsync(fromFile, token))
                {
                    Assert.Null(process.StandardInput);
                    Assert.Equal(content, await ReadToEndAsync(process.StandardOutput!, token));
                    Assert.Equal(0, await process.WaitAsync(token));
                }

                ProcessResult fromNothing = await backend.RunProcessAsync(new ProcessStartOptions("cat") { StandardInput = ProcessStdio.Null }, cancellationToken: token);
                Assert.Empty(fromNothing.StandardOutput);

                var discarded = new ProcessStartOptions("/bin/sh", "-c", "echo lost; echo kept >&2") { StandardInput = ProcessStdio.Null, StandardOutput = ProcessStdio.Null };
                await using (IAsyncProcess process = await backend.OpenProcessAsync(discarded, token))
                {
                    Assert.Null(process.StandardOutput);
                    Assert.Equal("kept\n", Encoding.UTF8.GetString(await ReadToEndAsync(process.StandardError!, token)));
                    Assert.Equal(0, await process.WaitAsync(token));
                }
            }
            finally
            {
                File.Delete(file);
            }
        });
    }

    [SkippableFact]
    public virtual async Task A_missing_program_a_missing_directory_and_a_directory_as_program_are_named_in_the_error()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            string missing = "anynet-no-such-program-" + Guid.NewGuid().ToString("N");
            var notFound = await Assert.ThrowsAsync<FileNotFoundException>(async () => await backend.OpenProcessAsync(new ProcessStartOptions(missing), token));
            Assert.Contains(missing, notFound.Message, StringComparison.Ordinal);

            var notFoundPath = await Assert.ThrowsAsync<FileNotFoundException>(async () => await backend.OpenProcessAsync(new ProcessStartOptions("/nonexistent/" + missing), token));
            Assert.Contains(missing, notFoundPath.Message, StringComparison.Ordinal);

            string noDirectory = "/nonexistent-anynet-" + Guid.NewGuid().ToString("N");
            var badDirectory = await Assert.ThrowsAsync<DirectoryNotFoundException>(async () => await backend.OpenProcessAsync(new ProcessStartOptions("true") { WorkingDirectory = noDirectory }, token));
            Assert.Contains(noDirectory, badDirectory.Message, StringComparison.Ordinal);

            var directoryAsProgram = await Assert.ThrowsAsync<UnauthorizedAccessException>(async () => await backend.OpenProcessAsync(new ProcessStartOptions("/tmp"), token));
            Assert.Contains("/tmp", directoryAsProgram.Message, StringComparison.Ordinal);

            var missingInput = await Assert.ThrowsAsync<FileNotFoundException>(async () => await backend.OpenProcessAsync(new ProcessStartOptions("cat") { StandardInput = ProcessStdio.File, StandardInputFile = "/nonexistent/" + missing }, token));
            Assert.Contains(missing, missingInput.Message, StringComparison.Ordinal);
        });
    }

    [SkippableFact]
    public virtual async Task Sending_to_a_process_that_closed_its_input_is_a_broken_resource()
    {
        RequireProcesses();
        await RunAsync(async (backend, token) =>
        {
            await using IAsyncProcess process = await backend.OpenProcessAsync(new ProcessStartOptions("/bin/sh", "-c", "exec 0<&-; echo closed"), token);
            Assert.Equal("closed\n", Encoding.ASCII.GetString(await process.StandardOutput!.ReceiveExactlyAsync(7, token)));
            Assert.Equal(0, await process.WaitAsync(token));
            await Assert.ThrowsAsync<BrokenResourceException>(async () =>
            {
                // The pipe buffer may take the first sends; keep sending until the closed read end is noticed (bounded).
                for (int i = 0; i < 1000; i++)
                {
                    await process.StandardInput!.SendAsync(new byte[64 * 1024], token);
                }
            });
        });
    }

    internal static async Task<byte[]> ReadToEndAsync(IByteReceiveStream stream, CancellationToken token)
    {
        using var collected = new MemoryStream();
        byte[] buffer = new byte[65536];
        int read;
        while ((read = await stream.ReceiveAsync(buffer, token)) > 0)
        {
            collected.Write(buffer, 0, read);
        }

        return collected.ToArray();
    }

    private static async Task<int> WaitForPidFileAsync(string path, Task run, CancellationToken token)
    {
        // The child is outside our loop: its progress is seen by looking (bounded: 1000 x 10 ms).
        for (int i = 0; i < 1000; i++)
        {
            if (File.Exists(path))
            {
                return int.Parse(await File.ReadAllTextAsync(path, token), System.Globalization.CultureInfo.InvariantCulture);
            }

            if (run.IsCompleted)
            {
                await run;
                throw new InvalidOperationException("the run ended before the child wrote its pid");
            }

            await Task.Delay(10, token);
        }

        throw new TimeoutException("the child never wrote its pid");
    }
}
