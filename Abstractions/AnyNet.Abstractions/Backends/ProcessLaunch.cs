using System.Collections;

namespace AnyNet.Backends;

/// <summary>
/// The checks and translations every backend's <see cref="IAsyncBackend.OpenProcessAsync"/> shares, so a missing
/// program or working directory fails the same way on every backend, before anything is spawned.
/// </summary>
public static class ProcessLaunch
{
    /// <summary>
    /// Validates <paramref name="options"/> and returns the program's full path: a name with a slash is taken as a path
    /// (relative to the working directory), a bare name is searched in <c>PATH</c> like execvp(3).
    /// </summary>
    /// <exception cref="FileNotFoundException">The program does not exist (the message names it).</exception>
    /// <exception cref="UnauthorizedAccessException">The program exists but is a directory or not executable.</exception>
    /// <exception cref="DirectoryNotFoundException">The working directory does not exist (the message names it).</exception>
    /// <exception cref="ArgumentException">The stdio settings are inconsistent (a file for stdin without a path, a file for output).</exception>
    public static string Validate(ProcessStartOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.WorkingDirectory is { } directory && !Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The working directory '{directory}' for '{options.FileName}' does not exist or is not a directory.");
        }

        if (options.StandardInput == ProcessStdio.File)
        {
            if (string.IsNullOrEmpty(options.StandardInputFile))
            {
                throw new ArgumentException("StandardInput is File but StandardInputFile is not set.", nameof(options));
            }

            if (!File.Exists(options.StandardInputFile))
            {
                throw new FileNotFoundException($"The standard input file '{options.StandardInputFile}' does not exist (or is a directory).", options.StandardInputFile);
            }
        }

        if (options.StandardOutput == ProcessStdio.File || options.StandardError == ProcessStdio.File)
        {
            throw new ArgumentException("ProcessStdio.File is only for standard input.", nameof(options));
        }

        foreach (string argument in options.Arguments)
        {
            if (argument is null || argument.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"An argument of '{options.FileName}' is null or contains a NUL character.", nameof(options));
            }
        }

        return ResolveExecutable(options.FileName, options.WorkingDirectory);
    }

    /// <summary>The child's environment as <c>NAME=value</c> strings: the inherited one (unless turned off) with the options' changes.</summary>
    public static string[] BuildEnvironment(ProcessStartOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options.InheritEnvironment)
        {
            foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
            {
                result[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
            }
        }

        foreach (KeyValuePair<string, string?> change in options.Environment)
        {
            if (string.IsNullOrEmpty(change.Key) || change.Key.Contains('=', StringComparison.Ordinal) || change.Key.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"'{change.Key}' is not a valid environment variable name.", nameof(options));
            }

            if (change.Value is null)
            {
                result.Remove(change.Key);
            }
            else
            {
                result[change.Key] = change.Value;
            }
        }

        return [.. result.Select(pair => pair.Key + "=" + pair.Value)];
    }

    /// <summary>The exit code for a wait(2) status: the exit status, or 128 + the signal number (the shell's convention, and .NET's).</summary>
    public static int ExitCodeFromWaitStatus(int status)
    {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    private static string ResolveExecutable(string fileName, string? workingDirectory)
    {
        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            string path = Path.IsPathRooted(fileName) || workingDirectory is null ? Path.GetFullPath(fileName) : Path.GetFullPath(fileName, Path.GetFullPath(workingDirectory));
            return CheckExecutable(path, fileName) ?? throw new FileNotFoundException($"The program '{fileName}' does not exist.", fileName);
        }

        string searchPath = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (string directory in searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, fileName);
            if (File.Exists(candidate) && CheckExecutable(candidate, fileName) is { } found)
            {
                return found;
            }
        }

        throw new FileNotFoundException($"The program '{fileName}' was not found in PATH ({searchPath}).", fileName);
    }

    private static string? CheckExecutable(string path, string fileName)
    {
        if (Directory.Exists(path))
        {
            throw new UnauthorizedAccessException($"The program '{fileName}' ({path}) is a directory, not an executable file.");
        }

        if (!File.Exists(path))
        {
            return null;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            throw new UnauthorizedAccessException($"The program '{fileName}' ({path}) is not executable.");
        }

        return path;
    }
}
