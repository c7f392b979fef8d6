extern alias HttpHello;

using System.Text;
using HttpHello::AnyNet.Samples.HttpHello;

namespace AnyNet.Samples.Tests;

/// <summary>
/// HttpHello's request-head parser on its own, without a socket: the request line, header fields, keep-alive rules,
/// the line and header-section limits, pipelining and heads cut at every byte. The parser is pure, so these are fast.
/// </summary>
public sealed class HttpRequestParserTests
{
    private const int MaxLine = 8 * 1024;
    private const int MaxHeaders = 32 * 1024;
    private const string Plaintext = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n";

    [Fact]
    public void A_request_head_parses_into_method_target_version_and_length()
    {
        byte[] input = Bytes(Plaintext);
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(input, MaxLine, MaxHeaders, out HttpRequestHead head));
        Assert.Equal("GET", Text(input, head.Method));
        Assert.Equal("/plaintext", Text(input, head.Target));
        Assert.Equal(1, head.MinorVersion);
        Assert.True(head.KeepAlive);
        Assert.True(head.HasHost);
        Assert.False(head.HasTransferEncoding);
        Assert.Equal(0, head.ContentLength);
        Assert.Equal(input.Length, head.HeadLength);
    }

    [Fact]
    public void Lines_may_end_in_a_bare_LF()
    {
        // RFC 9112 §2.2: a recipient MAY recognize a single LF as a line terminator.
        byte[] input = Bytes("GET / HTTP/1.1\nHost: a\n\n");
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(input, MaxLine, MaxHeaders, out HttpRequestHead head));
        Assert.Equal("/", Text(input, head.Target));
        Assert.Equal(input.Length, head.HeadLength);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false)]
    public void Keep_alive_follows_the_version_and_the_Connection_tokens(string input, bool keepAlive)
    {
        // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(Bytes(input), MaxLine, MaxHeaders, out HttpRequestHead head));
        Assert.Equal(keepAlive, head.KeepAlive);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n", nameof(HttpParseStatus.BadRequest))]                            // HTTP/1.1 needs Host (RFC 9112 §3.2)
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", nameof(HttpParseStatus.BadRequest))]      // and only one
    [InlineData("GET / HTTP/1.0\r\n\r\n", nameof(HttpParseStatus.Complete))]                              // HTTP/1.0 does not
    [InlineData("GET / HTTP/1.1\r\nhOsT: a\r\n\r\n", nameof(HttpParseStatus.Complete))]                   // names ignore case
    public void Host_is_required_once_in_HTTP_1_1(string input, string expected) =>
        Assert.Equal(Enum.Parse<HttpParseStatus>(expected), HttpRequestParser.TryParse(Bytes(input), MaxLine, MaxHeaders, out _));

    [Theory]
    [InlineData("GET /\r\n\r\n")]                          // no version
    [InlineData("GET\r\n\r\n")]
    [InlineData(" GET / HTTP/1.1\r\n\r\n")]                // empty method
    [InlineData("GET  / HTTP/1.1\r\n\r\n")]                // two spaces
    [InlineData("GET / HTTP/1.1 \r\n\r\n")]                // trailing space
    [InlineData("GET /a b HTTP/1.1\r\n\r\n")]              // a space in the target
    [InlineData("GET /\u007f HTTP/1.1\r\n\r\n")]           // a control character in the target
    [InlineData("GET /\u00e9 HTTP/1.1\r\n\r\n")]           // a non-ASCII byte in the target
    [InlineData("G(T / HTTP/1.1\r\n\r\n")]                 // a method that is not a token
    [InlineData("GET / HTTX/1.1\r\n\r\n")]
    [InlineData("GET / HTTP/1.1x\r\n\r\n")]
    [InlineData("GET / HTTP/11\r\n\r\n")]
    [InlineData("GET / http/1.1\r\n\r\n")]                 // the version is case-sensitive (RFC 9112 §2.3)
    [InlineData("GET / HTTP/1.1\r\r\n\r\n")]               // a bare CR
    public void A_malformed_request_line_is_400(string input) =>
        Assert.Equal(HttpParseStatus.BadRequest, HttpRequestParser.TryParse(Bytes(input), MaxLine, MaxHeaders, out _));

    [Theory]
    [InlineData("GET / HTTP/2.0\r\n\r\n")]
    [InlineData("GET / HTTP/1.2\r\n\r\n")]
    [InlineData("GET / HTTP/0.9\r\n\r\n")]
    public void An_unsupported_version_is_505(string input) =>
        Assert.Equal(HttpParseStatus.VersionNotSupported, HttpRequestParser.TryParse(Bytes(input), MaxLine, MaxHeaders, out _));

    [Theory]
    [InlineData("Host : a")]                 // whitespace before the colon (RFC 9112 §5.1: MUST reject)
    [InlineData("Host\t: a")]
    [InlineData(" Folded: a")]               // obsolete line folding (RFC 9112 §5.2)
    [InlineData("\tFolded: a")]
    [InlineData("NoColon")]
    [InlineData(": empty name")]
    [InlineData("Bad\"Name: a")]
    [InlineData("Host: a\rb")]               // a bare CR inside a field
    public void A_malformed_header_line_is_400(string line)
    {
        string input = "GET / HTTP/1.1\r\nHost: h\r\n" + line + "\r\n\r\n";
        Assert.Equal(HttpParseStatus.BadRequest, HttpRequestParser.TryParse(Bytes(input), MaxLine, MaxHeaders, out _));
    }

    [Theory]
    [InlineData("Content-Length: 5", nameof(HttpParseStatus.Complete), 5L)]
    [InlineData("content-length:   12  ", nameof(HttpParseStatus.Complete), 12L)]
    [InlineData("Content-Length: 7\r\nContent-Length: 7", nameof(HttpParseStatus.Complete), 7L)]
    [InlineData("Content-Length: 7\r\nContent-Length: 8", nameof(HttpParseStatus.BadRequest), 0L)]   // RFC 9112 §6.3 (smuggling)
    [InlineData("Content-Length: +5", nameof(HttpParseStatus.BadRequest), 0L)]
    [InlineData("Content-Length: -1", nameof(HttpParseStatus.BadRequest), 0L)]
    [InlineData("Content-Length: 5x", nameof(HttpParseStatus.BadRequest), 0L)]
    [InlineData("Content-Length: 1,1", nameof(HttpParseStatus.BadRequest), 0L)]
    [InlineData("Content-Length:", nameof(HttpParseStatus.BadRequest), 0L)]
    [InlineData("Content-Length: 99999999999999999999999", nameof(HttpParseStatus.BadRequest), 0L)]
    public void Content_Length_must_be_one_plain_number(string fields, string outcome, long length)
    {
        HttpParseStatus expected = Enum.Parse<HttpParseStatus>(outcome);
        string input = "POST /x HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n\r\n";
        Assert.Equal(expected, HttpRequestParser.TryParse(Bytes(input), MaxLine, MaxHeaders, out HttpRequestHead head));
        if (expected == HttpParseStatus.Complete)
        {
            Assert.Equal(length, head.ContentLength);
        }
    }

    [Fact]
    public void Transfer_Encoding_is_noticed()
    {
        string input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(Bytes(input), MaxLine, MaxHeaders, out HttpRequestHead head));
        Assert.True(head.HasTransferEncoding);
    }

    [Fact]
    public void The_request_line_limit_counts_the_line_with_its_CR_whether_or_not_it_has_ended()
    {
        const string line = "GET /plaintext HTTP/1.1\r";
        byte[] input = Bytes(line + "\nHost: a\r\n\r\n");
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(input, line.Length, MaxHeaders, out _));
        Assert.Equal(HttpParseStatus.UriTooLong, HttpRequestParser.TryParse(input, line.Length - 1, MaxHeaders, out _));

        // Without its end yet: waiting is right up to the limit, past it no end can make the line acceptable.
        byte[] unended = Bytes("GET /" + new string('a', 100));
        Assert.Equal(HttpParseStatus.Incomplete, HttpRequestParser.TryParse(unended, unended.Length, MaxHeaders, out _));
        Assert.Equal(HttpParseStatus.UriTooLong, HttpRequestParser.TryParse(unended, unended.Length - 1, MaxHeaders, out _));
    }

    [Fact]
    public void The_header_limit_counts_every_field_line_and_the_empty_line()
    {
        const string fields = "Host: a\r\nX-Pad: 0123456789\r\n\r\n";
        byte[] input = Bytes("GET / HTTP/1.1\r\n" + fields);
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(input, MaxLine, fields.Length, out _));
        Assert.Equal(HttpParseStatus.HeadersTooLarge, HttpRequestParser.TryParse(input, MaxLine, fields.Length - 1, out _));

        // A header section still growing is refused as soon as it passes the limit, before its end arrives.
        byte[] growing = Bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + new string('p', 200));
        Assert.Equal(HttpParseStatus.Incomplete, HttpRequestParser.TryParse(growing, MaxLine, 300, out _));
        Assert.Equal(HttpParseStatus.HeadersTooLarge, HttpRequestParser.TryParse(growing, MaxLine, 100, out _));
    }

    [Fact]
    public void Every_prefix_of_a_head_is_incomplete()
    {
        byte[] input = Bytes(Plaintext);
        for (int length = 0; length < input.Length; length++)
        {
            Assert.True(HttpRequestParser.TryParse(input.AsSpan(0, length), MaxLine, MaxHeaders, out _) == HttpParseStatus.Incomplete, $"cut at {length}");
        }

        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(input, MaxLine, MaxHeaders, out _));
    }

    [Fact]
    public void Pipelined_requests_parse_one_after_another_and_a_cut_anywhere_gives_the_same_requests()
    {
        byte[] input = Bytes(Plaintext + "GET /json HTTP/1.1\nHost: b\nConnection: close\n\n" + "HEAD / HTTP/1.0\r\n\r\n");
        string[] expected = ["GET /plaintext keep-alive", "GET /json close", "HEAD / close"];
        Assert.Equal(expected, ParseAll([input]));
        for (int cut = 0; cut <= input.Length; cut++)
        {
            Assert.Equal(expected, ParseAll([input[..cut], input[cut..]]));
        }

        Assert.Equal(expected, ParseAll(input.Select(b => new[] { b })));
    }

    [Fact]
    public void A_head_followed_by_garbage_parses_and_the_garbage_is_the_next_request()
    {
        byte[] input = Bytes(Plaintext + "BLAH\r\n\r\n");
        Assert.Equal(HttpParseStatus.Complete, HttpRequestParser.TryParse(input, MaxLine, MaxHeaders, out HttpRequestHead head));
        Assert.Equal(HttpParseStatus.BadRequest, HttpRequestParser.TryParse(input.AsSpan(head.HeadLength), MaxLine, MaxHeaders, out _));
    }

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    private static string Text(byte[] buffer, Range range) => Encoding.ASCII.GetString(buffer.AsSpan(range));

    /// <summary>What the server's loop does: append each chunk, then take every whole head from the front.</summary>
    private static List<string> ParseAll(IEnumerable<byte[]> chunks)
    {
        var requests = new List<string>();
        var buffer = new List<byte>();
        foreach (byte[] chunk in chunks)
        {
            buffer.AddRange(chunk);
            while (true)
            {
                byte[] pending = [.. buffer];
                HttpParseStatus status = HttpRequestParser.TryParse(pending, MaxLine, MaxHeaders, out HttpRequestHead head);
                if (status == HttpParseStatus.Incomplete)
                {
                    break;
                }

                Assert.Equal(HttpParseStatus.Complete, status);
                requests.Add($"{Text(pending, head.Method)} {Text(pending, head.Target)} {(head.KeepAlive ? "keep-alive" : "close")}");
                buffer.RemoveRange(0, head.HeadLength);
            }
        }

        Assert.Empty(buffer);
        return requests;
    }
}
