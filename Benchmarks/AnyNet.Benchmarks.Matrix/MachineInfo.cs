using System.Runtime.InteropServices;

namespace AnyNet.Benchmarks.Matrix;

/// <summary>Where and when the matrix ran.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Os, string Runtime, string LoadAverage, double BusyBefore, DateTimeOffset Date)
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

        return new MachineInfo(cpu, Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, ReadLoadAverage(), MeasureBusy(), DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// The share of all cores' time that was not idle over one second (from /proc/stat): how much other work is running
    /// right now, unlike the load average, which still remembers a run that just ended.
    /// </summary>
    public static double MeasureBusy()
    {
        try
        {
            (long idle0, long total0) = ReadCpuTimes();
            Thread.Sleep(1000);
            (long idle1, long total1) = ReadCpuTimes();
            return total1 > total0 ? 1 - (double)(idle1 - idle0) / (total1 - total0) : double.NaN;
        }
        catch (Exception error) when (error is IOException or FormatException)
        {
            return double.NaN;
        }
    }

    private static (long Idle, long Total) ReadCpuTimes()
    {
        string line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        long[] values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        long idle = values[3] + (values.Length > 4 ? values[4] : 0); // idle + iowait
        return (idle, values.Sum());
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
