using System.Globalization;
using System.Net;
using AnyNet.Backends.Libuv;
using AnyNet.Backends.Reactor;
using AnyNet.Backends.Tasks;

namespace AnyNet.Samples;

/// <summary>
/// The command line every sample shares: <c>--backend tasks|reactor|libuv</c> plus <c>--name value</c> options and
/// bare words (a mode such as <c>server</c>). Unknown options are an error that names them, never ignored.
/// </summary>
internal sealed class SampleCommandLine
{
    public static readonly string[] BackendNames = ["tasks", "reactor", "libuv"];

    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private SampleCommandLine(List<string> words) => Words = words;

    /// <summary>Bare words (not options), in order.</summary>
    public List<string> Words { get; }

    /// <summary>The backend name (default <c>tasks</c>).</summary>
    public string Backend => Get("backend", "tasks");

    public static SampleCommandLine Parse(string[] args)
    {
        var words = new List<string>();
        var line = new SampleCommandLine(words);
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                string name = arg[2..];
                if (name.Length == 0 || i + 1 >= args.Length)
                {
                    throw new ArgumentException($"option '{arg}' needs a value");
                }

                line._options[name] = args[++i];
            }
            else
            {
                words.Add(arg);
            }
        }

        if (!BackendNames.Contains(line.Backend))
        {
            throw new ArgumentException($"unknown backend '{line.Backend}'; choose one of: {string.Join(", ", BackendNames)}");
        }

        return line;
    }

    public string Get(string name, string fallback)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out string? value) ? value : fallback;
    }

    public string? GetOptional(string name)
    {
        _used.Add(name);
        return _options.GetValueOrDefault(name);
    }

    public int GetInt(string name, int fallback, int min = 0, int max = int.MaxValue)
    {
        string? text = GetOptional(name);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new ArgumentException($"--{name} must be an integer between {min} and {max}, not '{text}'");
        }

        return value;
    }

    public TimeSpan GetMilliseconds(string name, TimeSpan fallback) =>
        TimeSpan.FromMilliseconds(GetInt(name, (int)fallback.TotalMilliseconds, 1));

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c> or a bare port (meaning 127.0.0.1).</summary>
    public static IPEndPoint ParseEndPoint(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= IPEndPoint.MaxPort)
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        if (IPEndPoint.TryParse(text, out IPEndPoint? endPoint) && text.Contains(':', StringComparison.Ordinal))
        {
            return endPoint;
        }

        throw new ArgumentException($"'{text}' is not an endpoint such as 127.0.0.1:6379 or [::1]:6379");
    }

    /// <summary>Throws when an option was given that the sample never asked for (a typo must not pass silently).</summary>
    public void ThrowOnUnknown()
    {
        string[] unknown = [.. _options.Keys.Where(k => !_used.Contains(k) && k != "backend")];
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
        }
    }

    public IAsyncBackend CreateBackend() => Backend switch
    {
        "reactor" => new ReactorBackend(),
        "libuv" => new LibuvBackend(),
        _ => new TasksBackend(),
    };
}
