namespace AnyNet;

/// <summary>Where a child process's standard input, output or error is connected.</summary>
public enum ProcessStdio
{
    /// <summary>A pipe to this process: <see cref="IAsyncProcess.StandardInput"/>, <see cref="IAsyncProcess.StandardOutput"/> or <see cref="IAsyncProcess.StandardError"/>.</summary>
    Pipe = 0,

    /// <summary>/dev/null: reading sees end of file at once, writing discards.</summary>
    Null = 1,

    /// <summary>The same descriptor as this process's own (the child shares the parent's terminal or log).</summary>
    Inherit = 2,

    /// <summary>Standard input only: read from the file named by <see cref="ProcessStartOptions.StandardInputFile"/>.</summary>
    File = 3,
}
