namespace AnyNet;

/// <summary>
/// The credentials of the process at the other end of a Unix stream socket, as the kernel recorded them when the
/// connection was made (<c>SO_PEERCRED</c>, socket(7), unix(7)): not what the peer claims, so usable for access control.
/// </summary>
/// <param name="ProcessId">The peer's process id (in this process's pid namespace; 0 if it is not visible there).</param>
/// <param name="UserId">The peer's effective user id.</param>
/// <param name="GroupId">The peer's effective group id.</param>
public readonly record struct UnixCredentials(int ProcessId, uint UserId, uint GroupId);
