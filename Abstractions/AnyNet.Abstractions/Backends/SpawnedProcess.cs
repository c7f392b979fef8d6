namespace AnyNet.Backends;

/// <summary>
/// A child started by <see cref="PosixSpawn.Spawn"/>: its pid, a pidfd that turns readable when it exits, and this
/// process's ends of its stdio pipes (non-blocking, close-on-exec; -1 where the stdio was not a pipe). The caller owns
/// every descriptor.
/// </summary>
/// <param name="Pid">The child's pid (not reaped yet: it stays this process's child until <see cref="PosixSpawn.TryReap"/> reaps it).</param>
/// <param name="PidFd">The pidfd (pidfd_open(2)).</param>
/// <param name="StandardInputFd">The write end of the child's stdin pipe, or -1.</param>
/// <param name="StandardOutputFd">The read end of the child's stdout pipe, or -1.</param>
/// <param name="StandardErrorFd">The read end of the child's stderr pipe, or -1.</param>
public readonly record struct SpawnedProcess(int Pid, int PidFd, int StandardInputFd, int StandardOutputFd, int StandardErrorFd);
