using System.Runtime.InteropServices;
using System.Text;
using AnyNet.Backends.Internal;

namespace AnyNet.Backends;

/// <summary>
/// Starts a child for a loop backend (Linux): posix_spawn(3) plus a pidfd, for backends that watch the exit and the pipes
/// in their own poller instead of installing a SIGCHLD handler. Starts it with posix_spawn(3): glibc implements it with clone(CLONE_VM | CLONE_VFORK), so nothing of the
/// multithreaded runtime runs in the child between the clone and the exec, and exec failures come back as the return
/// value. Pipes are made close-on-exec; file actions dup2 the child's ends onto 0/1/2 (dup2 clears close-on-exec on the
/// copy) and every other descriptor of the process, all close-on-exec in .NET, disappears at exec.
/// </summary>
public static unsafe class PosixSpawn
{
    /// <summary>Validates <paramref name="options"/> (see <see cref="ProcessLaunch.Validate"/>) and starts the child.</summary>
    /// <exception cref="FileNotFoundException">The program does not exist.</exception>
    /// <exception cref="DirectoryNotFoundException">The working directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The program is not executable.</exception>
    /// <exception cref="IOException">posix_spawn or pidfd_open failed for another reason (the message has the errno).</exception>
    public static SpawnedProcess Spawn(ProcessStartOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string path = ProcessLaunch.Validate(options);
        string[] environment = ProcessLaunch.BuildEnvironment(options);
        string? stdinFile = options.StandardInput == ProcessStdio.File ? Path.GetFullPath(options.StandardInputFile!) : null;
        var toClose = new List<int>();
        var owned = new List<int>();
        var natives = new List<IntPtr>();
        byte* fileActions = stackalloc byte[PosixInterop.SpawnStructSize];
        byte* attributes = stackalloc byte[PosixInterop.SpawnStructSize];
        byte* signalSet = stackalloc byte[256];
        bool actionsReady = false;
        bool attributesReady = false;
        try
        {
            Check(PosixInterop.PosixSpawnFileActionsInit(fileActions), "posix_spawn_file_actions_init");
            actionsReady = true;
            Check(PosixInterop.PosixSpawnAttrInit(attributes), "posix_spawnattr_init");
            attributesReady = true;

            // The runtime blocks nothing but ignores SIGPIPE; a child must start with default dispositions and an empty mask.
            Check(PosixInterop.SigFillSet(signalSet), "sigfillset");
            Check(PosixInterop.PosixSpawnAttrSetSigDefault(attributes, signalSet), "posix_spawnattr_setsigdefault");
            Check(PosixInterop.SigEmptySet(signalSet), "sigemptyset");
            Check(PosixInterop.PosixSpawnAttrSetSigMask(attributes, signalSet), "posix_spawnattr_setsigmask");
            Check(PosixInterop.PosixSpawnAttrSetFlags(attributes, PosixInterop.POSIX_SPAWN_SETSIGDEF | PosixInterop.POSIX_SPAWN_SETSIGMASK), "posix_spawnattr_setflags");

            if (options.WorkingDirectory is { } directory)
            {
                Check(PosixInterop.PosixSpawnFileActionsAddChdir(fileActions, Native(Path.GetFullPath(directory), natives)), "posix_spawn_file_actions_addchdir_np");
            }

            int? stdin = Connect(fileActions, 0, options.StandardInput, stdinFile, natives, toClose, owned);
            int? stdout = Connect(fileActions, 1, options.StandardOutput, null, natives, toClose, owned);
            int? stderr = Connect(fileActions, 2, options.StandardError, null, natives, toClose, owned);

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
            int error = PosixInterop.PosixSpawn(&pid, Native(path, natives), fileActions, attributes, argv, envp);
            if (error != 0)
            {
                throw SpawnError(error, options, path);
            }

            // The child's ends belong to the child now.
            foreach (int fd in toClose)
            {
                _ = PosixInterop.Close(fd);
            }

            toClose.Clear();
            int pidfd = (int)PosixInterop.Syscall(PosixInterop.SYS_pidfd_open, pid, 0, 0, 0);
            if (pidfd < 0)
            {
                int errno = PosixInterop.LastErrno;
                // Without a pidfd the child cannot be watched: kill and reap it rather than leave it behind.
                _ = PosixInterop.Kill(pid, PosixInterop.SIGKILL);
                int status;
                _ = PosixInterop.WaitPid(pid, &status, 0);
                throw new IOException($"pidfd_open for '{options.FileName}' (pid {pid}) failed with errno {errno}; the reactor needs Linux 5.3 or later.");
            }

            _ = PosixInterop.Fcntl(pidfd, PosixInterop.F_SETFL, PosixInterop.O_NONBLOCK);
            owned.Clear();
            return new SpawnedProcess(pid, pidfd, stdin ?? -1, stdout ?? -1, stderr ?? -1);
        }
        finally
        {
            foreach (int fd in toClose)
            {
                _ = PosixInterop.Close(fd);
            }

            foreach (int fd in owned)
            {
                _ = PosixInterop.Close(fd);
            }

            if (actionsReady)
            {
                _ = PosixInterop.PosixSpawnFileActionsDestroy(fileActions);
            }

            if (attributesReady)
            {
                _ = PosixInterop.PosixSpawnAttrDestroy(attributes);
            }

            foreach (IntPtr native in natives)
            {
                NativeMemory.Free((void*)native);
            }
        }
    }

    /// <summary>Arranges descriptor <paramref name="target"/> of the child; returns this process's end of a pipe, if one was made.</summary>
    private static int? Connect(byte* fileActions, int target, ProcessStdio stdio, string? file, List<IntPtr> natives, List<int> toClose, List<int> owned)
    {
        switch (stdio)
        {
            case ProcessStdio.Inherit:
                return null;
            case ProcessStdio.Null:
                Check(PosixInterop.PosixSpawnFileActionsAddOpen(fileActions, target, Native("/dev/null", natives), target == 0 ? PosixInterop.O_RDONLY : PosixInterop.O_WRONLY, 0), "posix_spawn_file_actions_addopen");
                return null;
            case ProcessStdio.File:
                Check(PosixInterop.PosixSpawnFileActionsAddOpen(fileActions, target, Native(file!, natives), PosixInterop.O_RDONLY, 0), "posix_spawn_file_actions_addopen");
                return null;
        }

        int* fds = stackalloc int[2];
        if (PosixInterop.Pipe2(fds, PosixInterop.O_CLOEXEC) != 0)
        {
            throw new IOException($"pipe2 failed with errno {PosixInterop.LastErrno}.");
        }

        // Child reads stdin from fds[0]; writes stdout/stderr to fds[1].
        int childEnd = target == 0 ? fds[0] : fds[1];
        int parentEnd = target == 0 ? fds[1] : fds[0];
        owned.Add(parentEnd);
        toClose.Add(childEnd);
        // Only this process's end is non-blocking: the child gets the blocking descriptor programs expect.
        if (PosixInterop.Fcntl(parentEnd, PosixInterop.F_SETFL, PosixInterop.O_NONBLOCK) != 0)
        {
            throw new IOException($"fcntl(O_NONBLOCK) on a pipe failed with errno {PosixInterop.LastErrno}.");
        }

        Check(PosixInterop.PosixSpawnFileActionsAddDup2(fileActions, childEnd, target), "posix_spawn_file_actions_adddup2");
        return parentEnd;
    }

    /// <summary>Reaps <paramref name="pid"/> if it has exited: its exit code (see <see cref="ProcessLaunch.ExitCodeFromWaitStatus"/>), or null while it runs.</summary>
    public static int? TryReap(int pid)
    {
        int status;
        int result;
        while ((result = PosixInterop.WaitPid(pid, &status, PosixInterop.WNOHANG)) < 0 && PosixInterop.LastErrno == PosixInterop.EINTR)
        {
        }

        if (result == 0)
        {
            return null;
        }

        // ECHILD: someone else reaped it (a SIGCHLD handler that reaps every child); report it as killed.
        return result == pid ? ProcessLaunch.ExitCodeFromWaitStatus(status) : 128 + PosixInterop.SIGKILL;
    }

    /// <summary>Waits (blocking) until <paramref name="pid"/> exits and reaps it; for a child already sent SIGKILL.</summary>
    public static int Reap(int pid)
    {
        int status;
        int result;
        while ((result = PosixInterop.WaitPid(pid, &status, 0)) < 0 && PosixInterop.LastErrno == PosixInterop.EINTR)
        {
        }

        return result == pid ? ProcessLaunch.ExitCodeFromWaitStatus(status) : 128 + PosixInterop.SIGKILL;
    }

    /// <summary>Sends <paramref name="signal"/> through <paramref name="pidFd"/> (pidfd_send_signal(2): never hits a reused pid); false when the process is gone.</summary>
    public static bool Signal(int pidFd, int signal) => PosixInterop.Syscall(PosixInterop.SYS_pidfd_send_signal, pidFd, signal, 0, 0) == 0;

    /// <summary>Sends SIGKILL to <paramref name="pid"/> with kill(2); only for a child not yet reaped (its pid cannot be reused).</summary>
    public static void KillUnreaped(int pid) => _ = PosixInterop.Kill(pid, PosixInterop.SIGKILL);

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
