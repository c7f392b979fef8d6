using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AnyNet;

/// <summary>
/// A listen or connect address written as a string: <c>tcp:PORT</c> (every IPv4 and IPv6 interface), <c>tcp:IPv4:PORT</c>,
/// <c>tcp:[IPv6]:PORT</c> or <c>unix:PATH</c>. Used by configuration files and command lines.
/// </summary>
/// <remarks>
/// The parser is strict so that a typo fails at start-up instead of listening somewhere unexpected: the scheme is
/// <c>tcp</c> or <c>unix</c> (any case), the port is decimal 0..65535 (0 picks a free port when listening), an IPv4
/// address is a dotted quad of decimal parts, an IPv6 address is in brackets, host names are not accepted (resolve
/// them first), and no whitespace is trimmed.
/// </remarks>
public sealed class AnyNetEndPoint : IEquatable<AnyNetEndPoint>
{
    /// <summary>The accepted forms, as shown in every parse error.</summary>
    public const string AcceptedForms =
        "tcp:PORT, tcp:IPv4:PORT, tcp:[IPv6]:PORT or unix:PATH (for example tcp:7000, tcp:127.0.0.1:7000, tcp:[::1]:7000, unix:/run/app.sock)";

    // sun_path holds 108 bytes on Linux, including the terminating NUL.
    private const int MaxUnixPathBytes = 107;

    private AnyNetEndPoint(IPEndPoint? ipEndPoint, string? unixPath, bool everyAddress = false)
    {
        IPEndPoint = ipEndPoint;
        UnixPath = unixPath;
        IsEveryAddress = everyAddress;
    }

    /// <summary>
    /// True for the host-less form <c>tcp:PORT</c>: listening on it listens on every IPv4 and IPv6 address (see
    /// <see cref="AnyNetEndPointExtensions.Listen(IAsyncBackend, AnyNetEndPoint, ListenOptions?)"/>); <see cref="IPEndPoint"/>
    /// is then <c>0.0.0.0:PORT</c>, the address to use where a single one is needed.
    /// </summary>
    public bool IsEveryAddress { get; }

    /// <summary>The TCP address, or null for a Unix endpoint.</summary>
    public IPEndPoint? IPEndPoint { get; }

    /// <summary>The Unix domain socket path, or null for a TCP endpoint.</summary>
    public string? UnixPath { get; }

    /// <summary>True for a Unix domain socket endpoint, false for TCP.</summary>
    [MemberNotNullWhen(true, nameof(UnixPath))]
    [MemberNotNullWhen(false, nameof(IPEndPoint))]
    public bool IsUnix => UnixPath is not null;

    /// <summary>The endpoint as a <see cref="System.Net.EndPoint"/>: an <see cref="System.Net.IPEndPoint"/> or a <see cref="UnixDomainSocketEndPoint"/>.</summary>
    public EndPoint EndPoint => IsUnix ? new UnixDomainSocketEndPoint(UnixPath) : IPEndPoint;

    /// <summary>A TCP endpoint.</summary>
    public static AnyNetEndPoint Tcp(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return new AnyNetEndPoint(endPoint, null);
    }

    /// <summary>A Unix domain socket endpoint.</summary>
    /// <exception cref="ArgumentException">The path is empty, contains a NUL character, or is longer than a socket address holds.</exception>
    public static AnyNetEndPoint Unix(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? error = CheckUnixPath(path);
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(path));
        }

        return new AnyNetEndPoint(null, path);
    }

    /// <summary>Converts a bound or peer address (an <see cref="System.Net.IPEndPoint"/> or a <see cref="UnixDomainSocketEndPoint"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="endPoint"/> is of another kind.</exception>
    public static AnyNetEndPoint FromEndPoint(EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return endPoint switch
        {
            IPEndPoint ip => new AnyNetEndPoint(ip, null),
            UnixDomainSocketEndPoint unix => new AnyNetEndPoint(null, unix.ToString()),
            _ => throw new ArgumentException($"A {endPoint.GetType().Name} is neither a TCP nor a Unix domain socket address.", nameof(endPoint)),
        };
    }

    /// <summary>Parses an endpoint string.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="value"/> is malformed; the message says why and lists <see cref="AcceptedForms"/>.</exception>
    public static AnyNetEndPoint Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!TryParse(value, out AnyNetEndPoint? result, out string? error))
        {
            throw new FormatException($"'{value}' is not a valid AnyNet endpoint: {error}. Accepted forms: {AcceptedForms}.");
        }

        return result;
    }

    /// <summary>Parses an endpoint string; returns false, without throwing, when it is null or malformed.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out AnyNetEndPoint? result)
        => TryParse(value, out result, out _);

    private static bool TryParse(string? value, [NotNullWhen(true)] out AnyNetEndPoint? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (string.IsNullOrEmpty(value))
        {
            error = "the string is empty";
            return false;
        }

        int colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            error = "it has no scheme (tcp: or unix:)";
            return false;
        }

        string scheme = value[..colon];
        string rest = value[(colon + 1)..];
        if (scheme.Equals("unix", StringComparison.OrdinalIgnoreCase))
        {
            error = CheckUnixPath(rest);
            if (error is not null)
            {
                return false;
            }

            result = new AnyNetEndPoint(null, rest);
            return true;
        }

        if (!scheme.Equals("tcp", StringComparison.OrdinalIgnoreCase))
        {
            error = $"the scheme '{scheme}' is not tcp or unix";
            return false;
        }

        if (!TryParseTcp(rest, out IPEndPoint? ipEndPoint, out error))
        {
            return false;
        }

        bool everyAddress = !rest.Contains(':', StringComparison.Ordinal) && !rest.StartsWith('[');
        result = new AnyNetEndPoint(ipEndPoint, null, everyAddress);
        return true;
    }

    private static bool TryParseTcp(string text, [NotNullWhen(true)] out IPEndPoint? endPoint, [NotNullWhen(false)] out string? error)
    {
        endPoint = null;
        if (text.Length == 0)
        {
            error = "the port is missing";
            return false;
        }

        IPAddress address;
        string portText;
        if (text[0] == '[')
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = "the IPv6 address has no closing ']'";
                return false;
            }

            string literal = text[1..close];
            if (literal.Length == 0 || !literal.Contains(':', StringComparison.Ordinal)
                || !IPAddress.TryParse(literal, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'[{literal}]' is not an IPv6 address";
                return false;
            }

            if (close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = "the port is missing after the IPv6 address (write tcp:[IPv6]:PORT)";
                return false;
            }

            address = v6;
            portText = text[(close + 2)..];
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                if (text.Contains('.', StringComparison.Ordinal))
                {
                    error = $"'{text}' has no port (write tcp:IPv4:PORT)";
                    return false;
                }

                address = IPAddress.Any;
                portText = text;
            }
            else
            {
                string host = text[..colon];
                if (host.Contains(':', StringComparison.Ordinal))
                {
                    error = "an IPv6 address must be written in brackets (tcp:[IPv6]:PORT)";
                    return false;
                }

                if (!TryParseIPv4(host, out IPAddress? v4))
                {
                    error = host.Length == 0
                        ? "the address before the port is empty"
                        : $"'{host}' is not an IPv4 address (host names are not accepted; IPv6 needs brackets)";
                    return false;
                }

                address = v4;
                portText = text[(colon + 1)..];
            }
        }

        if (!TryParsePort(portText, out int port))
        {
            error = portText.Length == 0 ? "the port is missing" : $"'{portText}' is not a port number (0 to 65535)";
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        error = null;
        return true;
    }

    // IPAddress.TryParse also accepts legacy forms ("10.1", "0x7f.1", octal parts); an endpoint string must not.
    private static bool TryParseIPv4(string text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        string[] parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit)
                || int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }
        }

        return IPAddress.TryParse(text, out address);
    }

    private static bool TryParsePort(string text, out int port)
    {
        port = 0;
        return text.Length is > 0 and <= 5
            && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port <= IPEndPoint.MaxPort;
    }

    private static string? CheckUnixPath(string path)
    {
        if (path.Length == 0)
        {
            return "the Unix socket path is empty";
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return "the Unix socket path contains a NUL character";
        }

        int bytes = Encoding.UTF8.GetByteCount(path);
        return bytes > MaxUnixPathBytes
            ? $"the Unix socket path is {bytes} bytes long; a socket address holds at most {MaxUnixPathBytes}"
            : null;
    }

    /// <summary>The canonical string form, which <see cref="Parse"/> reads back: <c>tcp:7000</c> (every address), <c>tcp:0.0.0.0:7000</c>, <c>tcp:[::1]:7000</c>, <c>unix:/run/app.sock</c>.</summary>
    public override string ToString()
    {
        if (IsUnix)
        {
            return "unix:" + UnixPath;
        }

        if (IsEveryAddress)
        {
            return string.Create(CultureInfo.InvariantCulture, $"tcp:{IPEndPoint.Port}");
        }

        string address = IPEndPoint.Address.AddressFamily == AddressFamily.InterNetworkV6
            ? "[" + IPEndPoint.Address + "]"
            : IPEndPoint.Address.ToString();
        return string.Create(CultureInfo.InvariantCulture, $"tcp:{address}:{IPEndPoint.Port}");
    }

    /// <inheritdoc />
    public bool Equals(AnyNetEndPoint? other)
        => other is not null
            && string.Equals(UnixPath, other.UnixPath, StringComparison.Ordinal)
            && Equals(IPEndPoint, other.IPEndPoint)
            && IsEveryAddress == other.IsEveryAddress;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as AnyNetEndPoint);

    /// <inheritdoc />
    public override int GetHashCode() => IsUnix ? StringComparer.Ordinal.GetHashCode(UnixPath) : IPEndPoint.GetHashCode();
}
