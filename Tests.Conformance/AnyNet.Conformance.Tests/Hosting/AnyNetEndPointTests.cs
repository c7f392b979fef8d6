using System.Net;
using System.Net.Sockets;
using Xunit;

namespace AnyNet.Conformance.Tests.Hosting;

public sealed class AnyNetEndPointTests
{
    [Theory]
    [InlineData("tcp:7000", "0.0.0.0", 7000)]
    [InlineData("tcp:0", "0.0.0.0", 0)]
    [InlineData("tcp:65535", "0.0.0.0", 65535)]
    [InlineData("tcp:127.0.0.1:7000", "127.0.0.1", 7000)]
    [InlineData("tcp:0.0.0.0:80", "0.0.0.0", 80)]
    [InlineData("tcp:255.255.255.255:1", "255.255.255.255", 1)]
    [InlineData("tcp:10.0.0.1:007", "10.0.0.1", 7)]
    [InlineData("TCP:127.0.0.1:7000", "127.0.0.1", 7000)]
    [InlineData("tcp:[::1]:7000", "::1", 7000)]
    [InlineData("tcp:[::]:7000", "::", 7000)]
    [InlineData("tcp:[2001:db8::1]:443", "2001:db8::1", 443)]
    [InlineData("tcp:[::ffff:127.0.0.1]:7000", "::ffff:127.0.0.1", 7000)]
    public void Tcp_forms_parse_to_an_IPEndPoint(string text, string address, int port)
    {
        AnyNetEndPoint endPoint = AnyNetEndPoint.Parse(text);
        Assert.False(endPoint.IsUnix);
        Assert.Null(endPoint.UnixPath);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endPoint.IPEndPoint);
        Assert.Equal(endPoint.IPEndPoint, endPoint.EndPoint);
    }

    [Theory]
    [InlineData("unix:/run/app.sock", "/run/app.sock")]
    [InlineData("unix:relative.sock", "relative.sock")]
    [InlineData("UNIX:/tmp/a b.sock", "/tmp/a b.sock")]
    [InlineData("unix:/tmp/with:colon.sock", "/tmp/with:colon.sock")]
    public void Unix_forms_parse_to_a_path(string text, string path)
    {
        AnyNetEndPoint endPoint = AnyNetEndPoint.Parse(text);
        Assert.True(endPoint.IsUnix);
        Assert.Equal(path, endPoint.UnixPath);
        Assert.Null(endPoint.IPEndPoint);
        Assert.Equal(path, Assert.IsType<UnixDomainSocketEndPoint>(endPoint.EndPoint).ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("7000", "no scheme")]
    [InlineData("127.0.0.1", "no scheme")]
    [InlineData(":7000", "scheme '' is not")]
    [InlineData("udp:7000", "scheme 'udp' is not")]
    [InlineData("http://localhost:80", "scheme 'http' is not")]
    [InlineData(" tcp:7000", "scheme ' tcp' is not")]
    [InlineData("tcp:", "port is missing")]
    [InlineData("tcp:abc", "'abc' is not a port")]
    [InlineData("tcp:-1", "'-1' is not a port")]
    [InlineData("tcp:+80", "'+80' is not a port")]
    [InlineData("tcp: 80", "' 80' is not a port")]
    [InlineData("tcp:80 ", "'80 ' is not a port")]
    [InlineData("tcp:65536", "'65536' is not a port")]
    [InlineData("tcp:000007000", "'000007000' is not a port")]
    [InlineData("tcp:7000.5", "'7000.5' has no port")]
    [InlineData("tcp:127.0.0.1", "'127.0.0.1' has no port")]
    [InlineData("tcp:127.0.0.1:", "port is missing")]
    [InlineData("tcp::7000", "address before the port is empty")]
    [InlineData("tcp:localhost:7000", "'localhost' is not an IPv4 address")]
    [InlineData("tcp:example.com:80", "'example.com' is not an IPv4 address")]
    [InlineData("tcp:127.1:7000", "'127.1' is not an IPv4 address")]
    [InlineData("tcp:0x7f.0.0.1:7000", "'0x7f.0.0.1' is not an IPv4 address")]
    [InlineData("tcp:010.0.0.1:7000", "'010.0.0.1' is not an IPv4 address")]
    [InlineData("tcp:256.0.0.1:7000", "'256.0.0.1' is not an IPv4 address")]
    [InlineData("tcp:1.2.3.4.5:7000", "'1.2.3.4.5' is not an IPv4 address")]
    [InlineData("tcp:1..3.4:7000", "'1..3.4' is not an IPv4 address")]
    [InlineData("tcp:7000:1", "'7000' is not an IPv4 address")]
    [InlineData("tcp:::1:7000", "must be written in brackets")]
    [InlineData("tcp:2001:db8::1:443", "must be written in brackets")]
    [InlineData("tcp:[::1]", "port is missing after the IPv6 address")]
    [InlineData("tcp:[::1]7000", "port is missing after the IPv6 address")]
    [InlineData("tcp:[::1]:", "port is missing")]
    [InlineData("tcp:[::1]:70000", "'70000' is not a port")]
    [InlineData("tcp:[::1:7000", "no closing ']'")]
    [InlineData("tcp:[]:7000", "'[]' is not an IPv6 address")]
    [InlineData("tcp:[zz::1]:7000", "'[zz::1]' is not an IPv6 address")]
    [InlineData("tcp:[127.0.0.1]:7000", "'[127.0.0.1]' is not an IPv6 address")]
    [InlineData("unix:", "path is empty")]
    [InlineData("unix:/tmp/a\0b", "NUL")]
    public void Malformed_strings_fail_with_the_reason_and_the_accepted_forms(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => AnyNetEndPoint.Parse(text));
        Assert.Contains($"'{text}' is not a valid AnyNet endpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains(AnyNetEndPoint.AcceptedForms, error.Message, StringComparison.Ordinal);
        foreach (string form in new[] { "tcp:7000", "tcp:127.0.0.1:7000", "tcp:[::1]:7000", "unix:/run/app.sock" })
        {
            Assert.Contains(form, error.Message, StringComparison.Ordinal);
        }

        Assert.False(AnyNetEndPoint.TryParse(text, out AnyNetEndPoint? result));
        Assert.Null(result);
    }

    [Fact]
    public void A_unix_path_longer_than_a_socket_address_fails()
    {
        string path = "/" + new string('a', 106);
        Assert.Equal(path, AnyNetEndPoint.Parse("unix:" + path).UnixPath);

        var error = Assert.Throws<FormatException>(() => AnyNetEndPoint.Parse("unix:" + path + "a"));
        Assert.Contains("108 bytes long", error.Message, StringComparison.Ordinal);

        // The limit is in bytes: two-byte UTF-8 characters count twice.
        Assert.Throws<FormatException>(() => AnyNetEndPoint.Parse("unix:/" + new string('é', 54)));
    }

    [Fact]
    public void Null_throws_from_Parse_and_is_false_from_TryParse()
    {
        Assert.Throws<ArgumentNullException>(() => AnyNetEndPoint.Parse(null!));
        Assert.False(AnyNetEndPoint.TryParse(null, out _));
    }

    [Theory]
    [InlineData("tcp:7000", "tcp:7000")]
    [InlineData("tcp:0.0.0.0:7000", "tcp:0.0.0.0:7000")]
    [InlineData("tcp:127.0.0.1:7000", "tcp:127.0.0.1:7000")]
    [InlineData("tcp:[::1]:7000", "tcp:[::1]:7000")]
    [InlineData("TCP:[2001:DB8::1]:80", "tcp:[2001:db8::1]:80")]
    [InlineData("unix:/run/app.sock", "unix:/run/app.sock")]
    public void ToString_is_canonical_and_parses_back_to_an_equal_endpoint(string text, string canonical)
    {
        AnyNetEndPoint endPoint = AnyNetEndPoint.Parse(text);
        Assert.Equal(canonical, endPoint.ToString());
        AnyNetEndPoint again = AnyNetEndPoint.Parse(canonical);
        Assert.Equal(endPoint, again);
        Assert.Equal(endPoint.GetHashCode(), again.GetHashCode());
    }

    [Fact]
    public void Tcp_and_unix_endpoints_are_never_equal()
    {
        Assert.NotEqual(AnyNetEndPoint.Parse("tcp:7000"), AnyNetEndPoint.Parse("tcp:7001"));
        Assert.NotEqual(AnyNetEndPoint.Parse("tcp:127.0.0.1:7000"), AnyNetEndPoint.Parse("tcp:[::1]:7000"));
        Assert.NotEqual(AnyNetEndPoint.Parse("unix:/a"), AnyNetEndPoint.Parse("unix:/b"));
        Assert.False(AnyNetEndPoint.Parse("unix:/a").Equals(AnyNetEndPoint.Parse("tcp:1")));
        Assert.False(AnyNetEndPoint.Parse("unix:/a").Equals(null));
    }

    [Fact]
    public void FromEndPoint_accepts_IP_and_unix_addresses_only()
    {
        Assert.Equal("tcp:[::1]:5", AnyNetEndPoint.FromEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 5)).ToString());
        Assert.Equal("unix:/run/x.sock", AnyNetEndPoint.FromEndPoint(new UnixDomainSocketEndPoint("/run/x.sock")).ToString());
        Assert.Throws<ArgumentException>(() => AnyNetEndPoint.FromEndPoint(new DnsEndPoint("localhost", 80)));
        Assert.Throws<ArgumentNullException>(() => AnyNetEndPoint.FromEndPoint(null!));
    }

    [Fact]
    public void The_factories_check_their_input()
    {
        Assert.Equal("tcp:127.0.0.1:9", AnyNetEndPoint.Tcp(new IPEndPoint(IPAddress.Loopback, 9)).ToString());
        Assert.Equal("/x.sock", AnyNetEndPoint.Unix("/x.sock").UnixPath);
        Assert.Throws<ArgumentException>(() => AnyNetEndPoint.Unix(string.Empty));
        Assert.Throws<ArgumentException>(() => AnyNetEndPoint.Unix("/" + new string('a', 200)));
        Assert.Throws<ArgumentNullException>(() => AnyNetEndPoint.Tcp(null!));
    }
}
