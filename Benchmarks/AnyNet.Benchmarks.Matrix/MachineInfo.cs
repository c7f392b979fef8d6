using System.Runtime.InteropServices;

namespace AnyNet.Benchmarks.Matrix;

/// <summary>Where and when the matrix ran.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Os, string Runtime, string LoadAverage, DateTimeOffset Date)
{
    public static MachineInfo Read()
    {
        string cpu = "unknown CPU";
        try
        {
            string? model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (model is not null)
            {
                cpu = model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            }
        }
        catch (IOException)
        {
            // not Linux-like; keep the placeholder
        }

        return new MachineInfo(cpu, Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, ReadLoadAverage(), DateTimeOffset.UtcNow);
    }

    /// <summary>The 1-minute load average: above ~0.5 before the run means other work shared the two cores.</summary>
    public static string ReadLoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}
