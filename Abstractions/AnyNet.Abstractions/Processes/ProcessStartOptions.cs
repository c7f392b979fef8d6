namespace AnyNet;

/// <summary>What to run and how to connect it (AnyIO's <c>open_process</c> arguments).</summary>
/// <remarks>
/// The program is looked up like <c>execvp</c> does: a name with a slash is a path (relative to the working directory),
/// a bare name is searched in this process's <c>PATH</c>. Arguments are passed as they are, never through a shell.
/// </remarks>
public sealed class ProcessStartOptions
{
    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="fileName"/> is null or empty.</exception>
    public ProcessStartOptions(string fileName, params IEnumerable<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        FileName = fileName;
        Arguments = [.. arguments];
    }

    /// <summary>The program: a path, or a name searched in <c>PATH</c>.</summary>
    public string FileName { get; }

    /// <summary>The arguments after the program name (argv[1..]).</summary>
    public IList<string> Arguments { get; }

    /// <summary>The child's working directory; null: this process's current directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// Changes to the inherited environment: a value sets the variable, a null value removes it. With
    /// <see cref="InheritEnvironment"/> false these are the child's whole environment.
    /// </summary>
    public IDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>Whether the child starts with this process's environment (default true).</summary>
    public bool InheritEnvironment { get; set; } = true;

    /// <summary>Standard input: a pipe (default), /dev/null, inherited, or a file (<see cref="StandardInputFile"/>).</summary>
    public ProcessStdio StandardInput { get; set; } = ProcessStdio.Pipe;

    /// <summary>The file read as standard input when <see cref="StandardInput"/> is <see cref="ProcessStdio.File"/>.</summary>
    public string? StandardInputFile { get; set; }

    /// <summary>Standard output: a pipe (default), /dev/null or inherited.</summary>
    public ProcessStdio StandardOutput { get; set; } = ProcessStdio.Pipe;

    /// <summary>Standard error: a pipe (default), /dev/null or inherited.</summary>
    public ProcessStdio StandardError { get; set; } = ProcessStdio.Pipe;
}
