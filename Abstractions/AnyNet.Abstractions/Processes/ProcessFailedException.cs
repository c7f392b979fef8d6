using System.Text;

namespace AnyNet;

/// <summary>A process run with checking on exited with a non-zero code (AnyIO's <c>CalledProcessError</c>).</summary>
public sealed class ProcessFailedException : Exception
{
    /// <summary>Creates the exception for <paramref name="fileName"/> with its exit code and output.</summary>
    public ProcessFailedException(string fileName, int exitCode, byte[] standardOutput, byte[] standardError)
        : base(BuildMessage(fileName, exitCode, standardError))
    {
        FileName = fileName;
        ExitCode = exitCode;
        StandardOutput = standardOutput;
        StandardError = standardError;
    }

    /// <summary>Creates an exception with only a message.</summary>
    public ProcessFailedException() : this("(unknown)", -1, [], [])
    {
    }

    /// <summary>Creates an exception with only a message.</summary>
    public ProcessFailedException(string message) : base(message)
    {
        FileName = "(unknown)";
        ExitCode = -1;
        StandardOutput = [];
        StandardError = [];
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public ProcessFailedException(string message, Exception innerException) : base(message, innerException)
    {
        FileName = "(unknown)";
        ExitCode = -1;
        StandardOutput = [];
        StandardError = [];
    }

    /// <summary>The program that failed.</summary>
    public string FileName { get; }

    /// <summary>Its exit code.</summary>
    public int ExitCode { get; }

    /// <summary>What it wrote to standard output.</summary>
    public IReadOnlyList<byte> StandardOutput { get; }

    /// <summary>What it wrote to standard error (the end of it is also in the message).</summary>
    public IReadOnlyList<byte> StandardError { get; }

    private static string BuildMessage(string fileName, int exitCode, byte[] standardError)
    {
        const int Shown = 2000;
        string error = Encoding.UTF8.GetString(standardError.AsSpan(Math.Max(0, standardError.Length - Shown))).TrimEnd();
        return error.Length == 0
            ? $"The process '{fileName}' exited with code {exitCode}."
            : $"The process '{fileName}' exited with code {exitCode}; its standard error ends with: {error}";
    }
}
