using System.Runtime.InteropServices;
using System.Text;
using AnyNet.Backends.Reactor.Interop;

namespace AnyNet.Backends.Reactor.Internal;

/// <summary>
/// Starts a child with posix_spawn(3): glibc implements it with clone(CLONE_VM | CLONE_VFORK), so nothing of the
/// multithreaded runtime runs in the child between the clone and the exec, and exec failures come back as the return
/// value. Pipes are made close-on-exec; file actions dup2 the child's ends onto 0/1/2 (dup2 clears close-on-exec on the
/// copy) and every other descriptor of the process, all close-on-exec in .NET, disappears at exec.
/// </summary>
internal static unsafe class Spawner
{
    public static ChildProcess Spawn(EventLoop loop, ProcessStartOptions options)
    {
        string path = ProcessLaunch.Validate(options);
        string[] environment = ProcessLaunch.BuildEnvironment(options);
        string? stdinFile = options.StandardInput == ProcessStdio.File ? Path.GetFullPath(options.StandardInputFile!) : null;
        var toClose = new List<int>();
        var owned = new List<SafeFd>();
        var natives = new List<IntPtr>();
        byte* fileActions = stackalloc byte[Libc.SpawnStructSize];
        byte* attributes = stackalloc byte[Libc.SpawnStructSize];
        byte* signalSet = stackalloc byte[256];
        bool actionsReady = false;
        bool attributesReady = false;
        try
        {
            Check(Libc.PosixSpawnFileActionsInit(fileActions), "posix_spawn_file_actions_init");
            actionsReady = true;
            Check(Libc.PosixSpawnAttrInit(attributes), "posix_spawnattr_init");
            attributesReady = true;

            // The runtime blocks nothing but ignores SIGPIPE; a child must start with default dispositions and an empty mask.
            Check(Libc.SigFillSet(signalSet), "sigfillset");
            Check(Libc.PosixSpawnAttrSetSigDefault(attributes, signalSet), "posix_spawnattr_setsigdefault");
            Check(Libc.SigEmptySet(signalSet), "sigemptyset");
            Check(Libc.PosixSpawnAttrSetSigMask(attributes, signalSet), "posix_spawnattr_setsigmask");
            Check(Libc.PosixSpawnAttrSetFlags(attributes, Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK), "posix_spawnattr_setflags");

            if (options.WorkingDirectory is { } directory)
            {
                Check(Libc.PosixSpawnFileActionsAddChdir(fileActions, Native(Path.GetFullPath(directory), natives)), "posix_spawn_file_actions_addchdir_np");
            }

            SafeFd? stdin = Connect(fileActions, 0, options.StandardInput, stdinFile, natives, toClose, owned);
            SafeFd? stdout = Connect(fileActions, 1, options.StandardOutput, null, natives, toClose, owned);
            SafeFd? stderr = Connect(fileActions, 2, options.StandardError, null, natives, toClose, owned);

            byte** argv = (byte**)NativeMemory.AllocZeroed((nuint)(options.Arguments.Count + 2), (nuint)sizeof(byte*));
            natives.Add((IntPtr)argv);
            argv[0] = Native(options.FileName, natives);
            for (int i = 0; i < options.Arguments.Count; i++)
            {
                argv[i + 1] = Native(options.Arguments[i], natives);
            }

            byte** envp = (byte**)NativeMemory.AllocZeroed((nuint)(environment.Length + 1), (nuint)sizeof(byte*));
            natives.Add((IntPtr)envp);
            for (int i = 0; i < environment.Length; i++)
            {
                envp[i] = Native(environment[i], natives);
            }

            int pid;
            int error = Libc.PosixSpawn(&pid, Native(path, natives), fileActions, attributes, argv, envp);
            if (error != 0)
            {
                throw SpawnError(error, options, path);
            }

            // The child's ends belong to the child now.
            foreach (int fd in toClose)
            {
                _ = Libc.Close(fd);
            }

            toClose.Clear();
            int pidfd = (int)Libc.Syscall(Libc.SYS_pidfd_open, pid, 0, 0, 0);
            if (pidfd < 0)
            {
                int errno = Libc.LastErrno;
                // Without a pidfd the child cannot be watched: kill and reap it rather than leave it behind.
                _ = Libc.Kill(pid, Libc.SIGKILL);
                int status;
                _ = Libc.WaitPid(pid, &status, 0);
                throw new IOException($"pidfd_open for '{options.FileName}' (pid {pid}) failed with errno {errno}; the reactor needs Linux 5.3 or later.");
            }

            _ = Libc.Fcntl(pidfd, Libc.F_SETFL, Libc.O_NONBLOCK);
            var child = new ChildProcess(
                loop,
                new SafeFd(pidfd),
                pid,
                options.FileName,
                stdin is null ? null : new PipeEnd(loop, stdin, isReader: false, "standard input"),
                stdout is null ? null : new PipeEnd(loop, stdout, isReader: true, "standard output"),
                stderr is null ? null : new PipeEnd(loop, stderr, isReader: true, "standard error"));
            owned.Clear();
            child.StartWatching();
            return child;
        }
        finally
        {
            foreach (int fd in toClose)
            {
                _ = Libc.Close(fd);
            }

            foreach (SafeFd fd in owned)
            {
                fd.Dispose();
            }

            if (actionsReady)
            {
                _ = Libc.PosixSpawnFileActionsDestroy(fileActions);
            }

            if (attributesReady)
            {
                _ = Libc.PosixSpawnAttrDestroy(attributes);
            }

            foreach (IntPtr native in natives)
            {
                NativeMemory.Free((void*)native);
            }
        }
    }

    /// <summary>Arranges descriptor <paramref name="target"/> of the child; returns this process's end of a pipe, if one was made.</summary>
    private static SafeFd? Connect(byte* fileActions, int target, ProcessStdio stdio, string? file, List<IntPtr> natives, List<int> toClose, List<SafeFd> owned)
    {
        switch (stdio)
        {
            case ProcessStdio.Inherit:
                return null;
            case ProcessStdio.Null:
                Check(Libc.PosixSpawnFileActionsAddOpen(fileActions, target, Native("/dev/null", natives), target == 0 ? Libc.O_RDONLY : Libc.O_WRONLY, 0), "posix_spawn_file_actions_addopen");
                return null;
            case ProcessStdio.File:
                Check(Libc.PosixSpawnFileActionsAddOpen(fileActions, target, Native(file!, natives), Libc.O_RDONLY, 0), "posix_spawn_file_actions_addopen");
                return null;
        }

        int* fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC) != 0)
        {
            throw new IOException($"pipe2 failed with errno {Libc.LastErrno}.");
        }

        // Child reads stdin from fds[0]; writes stdout/stderr to fds[1].
        int childEnd = target == 0 ? fds[0] : fds[1];
        int parentEnd = target == 0 ? fds[1] : fds[0];
        var parent = new SafeFd(parentEnd);
        owned.Add(parent);
        toClose.Add(childEnd);
        // Only this process's end is non-blocking: the child gets the blocking descriptor programs expect.
        if (Libc.Fcntl(parentEnd, Libc.F_SETFL, Libc.O_NONBLOCK) != 0)
        {
            throw new IOException($"fcntl(O_NONBLOCK) on a pipe failed with errno {Libc.LastErrno}.");
        }

        Check(Libc.PosixSpawnFileActionsAddDup2(fileActions, childEnd, target), "posix_spawn_file_actions_adddup2");
        return parent;
    }

    private static Exception SpawnError(int errno, ProcessStartOptions options, string path) => errno switch
    {
        2 => options.WorkingDirectory is not null && !Directory.Exists(options.WorkingDirectory)
            ? new DirectoryNotFoundException($"The working directory '{options.WorkingDirectory}' for '{options.FileName}' does not exist.")
            : new FileNotFoundException($"Starting '{options.FileName}' ({path}) failed: a file it needs does not exist (ENOENT).", options.FileName),
        13 => new UnauthorizedAccessException($"Starting '{options.FileName}' ({path}) failed: permission denied (EACCES)."),
        20 => new DirectoryNotFoundException($"Starting '{options.FileName}': the working directory '{options.WorkingDirectory}' is not a directory (ENOTDIR)."),
        8 => new IOException($"Starting '{options.FileName}' ({path}) failed: not an executable format (ENOEXEC)."),
        _ => new IOException($"posix_spawn of '{options.FileName}' ({path}) failed with errno {errno}."),
    };

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new IOException($"{what} failed with errno {error}.");
        }
    }

    private static byte* Native(string value, List<IntPtr> natives)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        byte* memory = (byte*)NativeMemory.Alloc((nuint)length + 1);
        natives.Add((IntPtr)memory);
        Encoding.UTF8.GetBytes(value, new Span<byte>(memory, length));
        memory[length] = 0;
        return memory;
    }
}
