extern alias MiniRedis;

using System.Text;
using MiniRedis::AnyNet.Samples.MiniRedis;

namespace AnyNet.Samples.Tests;

/// <summary>
/// MiniRedis's RESP2 command parser on its own, without a socket: inline and multi-bulk commands, pipelining, frames
/// cut at every byte, limits and malformed input. The parser is pure, so these run in microseconds.
/// </summary>
public sealed class RespParserTests
{
    private const int MaxBulk = 1024;

    [Fact]
    public void A_multi_bulk_command_parses_into_its_arguments_and_consumes_exactly_itself()
    {
        Parsed result = Parse("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n");
        Assert.Equal(RespParseStatus.Complete, result.Status);
        Assert.Equal(new[] { "SET", "k", "value" }, result.Arguments);
        Assert.Equal(Bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n").Length, result.Consumed);
    }

    [Fact]
    public void Bulk_strings_are_binary_safe_and_may_be_empty()
    {
        Parsed result = Parse("*3\r\n$4\r\na\r\nb\r\n$0\r\n\r\n$1\r\n\0\r\n");
        Assert.Equal(RespParseStatus.Complete, result.Status);
        Assert.Equal(new[] { "a\r\nb", "", "\0" }, result.Arguments);
    }

    [Theory]
    [InlineData("*0\r\n")]
    [InlineData("*-1\r\n")]
    public void An_empty_or_null_array_is_a_command_without_arguments(string input)
    {
        // Redis ignores such a command and goes on reading (networking.c, processMultibulkBuffer).
        Parsed result = Parse(input);
        Assert.Equal(RespParseStatus.Complete, result.Status);
        Assert.Empty(result.Arguments);
        Assert.Equal(input.Length, result.Consumed);
    }

    [Theory]
    [InlineData("PING\r\n", new[] { "PING" })]
    [InlineData("PING\n", new[] { "PING" })]
    [InlineData("set  k\tv\r\n", new[] { "set", "k", "v" })]
    [InlineData("  GET k  \r\n", new[] { "GET", "k" })]
    [InlineData("SET k \"a b\"\r\n", new[] { "SET", "k", "a b" })]
    [InlineData("SET k 'x y' z\r\n", new[] { "SET", "k", "x y", "z" })]
    [InlineData("SET k \"\"\r\n", new[] { "SET", "k", "" })]
    [InlineData("\r\n", new string[0])]
    public void An_inline_command_splits_on_spaces_and_quotes(string input, string[] expected)
    {
        Parsed result = Parse(input);
        Assert.Equal(RespParseStatus.Complete, result.Status);
        Assert.Equal(expected, result.Arguments);
        Assert.Equal(input.Length, result.Consumed);
    }

    [Theory]
    [InlineData("SET k \"abc\r\n")]
    [InlineData("SET k \"abc\"def\r\n")]
    [InlineData("SET k 'abc\r\n")]
    public void Unbalanced_quotes_in_an_inline_command_are_a_protocol_error(string input)
    {
        Parsed result = Parse(input);
        Assert.Equal(RespParseStatus.Error, result.Status);
        Assert.Equal("Protocol error: unbalanced quotes in request", result.Error);
    }

    [Fact]
    public void Pipelined_commands_of_both_kinds_come_out_one_at_a_time_in_order()
    {
        const string input = "*1\r\n$4\r\nPING\r\nECHO hi\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nDBSIZE\n";
        string[][] expected = [["PING"], ["ECHO", "hi"], ["GET", "k"], ["DBSIZE"]];
        Assert.Equal(expected, ParseAll([Bytes(input)]).Commands);
    }

    [Fact]
    public void A_pipeline_cut_at_any_byte_gives_the_same_commands()
    {
        byte[] input = Bytes("*2\r\n$4\r\nECHO\r\n$6\r\nab\r\ncd\r\nINCR n\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n$6\r\nDBSIZE\r\n");
        List<string[]> whole = ParseAll([input]).Commands;
        string[][] expected = [["ECHO", "ab\r\ncd"], ["INCR", "n"], ["SET", "k", ""], ["DBSIZE"]];
        Assert.Equal(expected, whole);
        for (int cut = 0; cut <= input.Length; cut++)
        {
            Assert.Equal(whole, ParseAll([input[..cut], input[cut..]]).Commands);
        }

        // And one byte at a time.
        Assert.Equal(whole, ParseAll(input.Select(b => new[] { b })).Commands);
    }

    [Fact]
    public void Every_prefix_of_a_command_is_incomplete_and_tells_a_need_no_larger_than_the_command()
    {
        foreach (string command in new[] { "*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n", "GET key\r\n" })
        {
            byte[] input = Bytes(command);
            for (int length = 0; length < input.Length; length++)
            {
                Parsed partial = Parse(input.AsMemory(0, length));
                Assert.True(partial.Status == RespParseStatus.Incomplete, $"{Escape(command)} cut at {length}: {partial.Status} {partial.Error}");

                // The caller waits for this many bytes: more than it has, and never more than the command needs,
                // or a server would wait for bytes that a client which sent one command never sends.
                Assert.InRange(partial.Consumed, length + 1, input.Length);
            }

            Assert.Equal(RespParseStatus.Complete, Parse(input).Status);
        }
    }

    [Fact]
    public void An_incomplete_bulk_asks_for_the_whole_bulk_at_once()
    {
        // The header of a 100-byte bulk has arrived: the server can wait for all of it in one receive.
        Parsed result = Parse("*2\r\n$3\r\nSET\r\n$100\r\nabc");
        Assert.Equal(RespParseStatus.Incomplete, result.Status);
        Assert.Equal("*2\r\n$3\r\nSET\r\n$100\r\n".Length + 100 + 2, result.Consumed);
    }

    [Fact]
    public void A_bulk_over_the_maximum_is_refused_before_its_bytes_arrive()
    {
        Parsed result = Parse($"*2\r\n$3\r\nSET\r\n${MaxBulk + 1}\r\n");
        Assert.Equal(RespParseStatus.Error, result.Status);
        Assert.Equal("Protocol error: invalid bulk length", result.Error);

        Assert.Equal(RespParseStatus.Incomplete, Parse($"*2\r\n$3\r\nSET\r\n${MaxBulk}\r\n").Status);
    }

    [Fact]
    public void An_array_over_the_argument_limit_is_refused()
    {
        Parsed result = Parse($"*{RespParser.MaxArguments + 1}\r\n");
        Assert.Equal(RespParseStatus.Error, result.Status);
        Assert.Equal("Protocol error: invalid multibulk length", result.Error);
    }

    [Fact]
    public void An_inline_line_over_64_KiB_without_an_end_is_refused()
    {
        Assert.Equal(RespParseStatus.Incomplete, Parse(new string('a', RespParser.MaxInlineLength)).Status);
        Parsed result = Parse(new string('a', RespParser.MaxInlineLength + 1));
        Assert.Equal(RespParseStatus.Error, result.Status);
        Assert.Equal("Protocol error: too big inline request", result.Error);
    }

    [Theory]
    [InlineData("*x\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r", null)]
    [InlineData("*1\rX", "Protocol error: invalid multibulk length")]
    [InlineData("*1 \r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n+PING\r\n", "Protocol error: expected '$', got '+'")]
    [InlineData("*1\r\n\u0001", "Protocol error: expected '$', got '\\x01'")]
    [InlineData("*1\r\n$-1\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$abc\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$4\r\nPINGXX", "Protocol error: bulk string not terminated by CRLF")]
    [InlineData("*1\r\n$4\r\nPING\n\r", "Protocol error: bulk string not terminated by CRLF")]
    public void Malformed_multi_bulk_frames_are_protocol_errors_naming_the_fault(string input, string? error)
    {
        Parsed result = Parse(input);
        if (error is null)
        {
            Assert.Equal(RespParseStatus.Incomplete, result.Status);
        }
        else
        {
            Assert.Equal(RespParseStatus.Error, result.Status);
            Assert.Equal(error, result.Error);
        }
    }

    [Fact]
    public void A_length_line_that_never_ends_is_garbage_not_slowness()
    {
        // A length is at most 20 digits: 33 bytes without a CR cannot become a valid line.
        Assert.Equal(RespParseStatus.Incomplete, Parse("*1\r\n$" + new string('1', 10)).Status);
        Parsed result = Parse("*1\r\n$" + new string('1', 40));
        Assert.Equal(RespParseStatus.Error, result.Status);
        Assert.Equal("Protocol error: invalid bulk length", result.Error);
    }

    [Fact]
    public void A_malformed_frame_after_good_ones_stops_the_pipeline_there()
    {
        Feed feed = ParseAll([Bytes("PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n:4\r\nGET k\r\n")]);
        string[][] expected = [["PING"], ["PING"]];
        Assert.Equal(expected, feed.Commands);
        Assert.Equal("Protocol error: expected '$', got ':'", feed.Error);
    }

    [Fact]
    public void Arguments_are_slices_of_the_buffer_not_copies()
    {
        byte[] input = Bytes("*1\r\n$4\r\nPING\r\n");
        var arguments = new List<ReadOnlyMemory<byte>>();
        Assert.Equal(RespParseStatus.Complete, RespParser.TryParse(input, MaxBulk, arguments, out _, out _));
        input[8] = (byte)'X';
        Assert.Equal("XING", Encoding.ASCII.GetString(arguments[0].Span));
    }

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    private static string Escape(string text) => text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static Parsed Parse(string input) => Parse(Bytes(input));

    private static Parsed Parse(ReadOnlyMemory<byte> input)
    {
        var arguments = new List<ReadOnlyMemory<byte>>();
        RespParseStatus status = RespParser.TryParse(input, MaxBulk, arguments, out int consumed, out string? error);
        return new Parsed(status, [.. arguments.Select(a => Encoding.Latin1.GetString(a.Span))], consumed, error);
    }

    /// <summary>What the server's receive loop does: append each chunk, then take every whole command from the front.</summary>
    private static Feed ParseAll(IEnumerable<byte[]> chunks)
    {
        var commands = new List<string[]>();
        var buffer = new List<byte>();
        var arguments = new List<ReadOnlyMemory<byte>>();
        foreach (byte[] chunk in chunks)
        {
            buffer.AddRange(chunk);
            while (true)
            {
                byte[] pending = [.. buffer];
                RespParseStatus status = RespParser.TryParse(pending, MaxBulk, arguments, out int consumed, out string? error);
                if (status == RespParseStatus.Error)
                {
                    return new Feed(commands, error);
                }

                if (status == RespParseStatus.Incomplete)
                {
                    break;
                }

                commands.Add([.. arguments.Select(a => Encoding.Latin1.GetString(a.Span))]);
                buffer.RemoveRange(0, consumed);
            }
        }

        Assert.Empty(buffer);
        return new Feed(commands, null);
    }

    private sealed record Parsed(RespParseStatus Status, string[] Arguments, int Consumed, string? Error);

    private sealed record Feed(List<string[]> Commands, string? Error);
}
