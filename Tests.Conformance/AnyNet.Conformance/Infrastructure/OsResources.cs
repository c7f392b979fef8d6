namespace AnyNet.Conformance;

/// <summary>What the test process holds in the OS, read from /proc: open descriptors and child processes.</summary>
public static class OsResources
{
    /// <summary>The number of descriptors open in this process (/proc/self/fd).</summary>
    public static int OpenDescriptorCount() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>What each open descriptor of this process points at (/proc/self/fd links), by number.</summary>
    public static IReadOnlyDictionary<int, string> OpenDescriptors()
    {
        var result = new Dictionary<int, string>();
        foreach (string link in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                result[int.Parse(Path.GetFileName(link), System.Globalization.CultureInfo.InvariantCulture)] = new FileInfo(link).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                // Closed while listing (the listing's own descriptor).
            }
        }

        return result;
    }

    /// <summary>The pids whose parent is this process, zombies included (/proc/*/stat field 4).</summary>
    public static IReadOnlyList<int> ChildPids()
    {
        int self = Environment.ProcessId;
        var children = new List<int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid))
            {
                continue;
            }

            if (ParentOf(pid) == self)
            {
                children.Add(pid);
            }
        }

        return children;
    }

    /// <summary>True when <paramref name="pid"/> is still a child of this process (running or a zombie not yet reaped).</summary>
    public static bool IsChild(int pid) => ParentOf(pid) == Environment.ProcessId;

    /// <summary>The process state letter of <paramref name="pid"/> (R, S, Z...), or null if it is gone.</summary>
    public static char? StateOf(int pid)
    {
        string? stat = ReadStat(pid);
        if (stat is null)
        {
            return null;
        }

        // "pid (comm) S ppid ...": comm may contain spaces and parentheses, so parse from the last ')'.
        string rest = stat[(stat.LastIndexOf(')') + 2)..];
        return rest[0];
    }

    private static int? ParentOf(int pid)
    {
        string? stat = ReadStat(pid);
        if (stat is null)
        {
            return null;
        }

        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.TryParse(fields[1], out int parent) ? parent : null;
    }

    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
