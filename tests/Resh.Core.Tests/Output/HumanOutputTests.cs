using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Output;
using Resh.Core.Text;
using Xunit;

namespace Resh.Core.Tests.Output;

/// <summary>The pieces of SPEC §4's human and line formats, in-process.</summary>
public sealed class HumanOutputTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\x1b[31mb", @"a\x1b[31mb")]
    [InlineData("bell\x07", @"bell\x07")]
    [InlineData("c1\u009b2J", @"c1\x9b2J")]
    [InlineData("cr\rlf\n", @"cr\rlf\n")]
    [InlineData("bidi\u202egnp.exe", @"bidi\u202egnp.exe")]
    [InlineData("del\x7f", @"del\x7f")]
    [InlineData("ünïcödé ✓", "ünïcödé ✓")]
    public void Control_characters_become_visible_escapes(string input, string expected)
    {
        Assert.Equal(expected, TerminalText.Escape(input));
    }

    [Fact]
    public void Blocks_keep_their_lines_and_tabs()
    {
        Assert.Equal("a\n\tb\\x1b", TerminalText.Escape("a\n\tb\x1b", keepNewlines: true));
    }

    [Fact]
    public void A_table_fits_its_width_by_shrinking_the_widest_column()
    {
        var t = new TableLayout(["ID", "NAME", "COMMAND"]);
        t.Add(["1", "sh", new string('c', 200)]);
        t.Add(["22", "sleep", "sleep 300"]);
        var text = t.Render(width: 40);
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.True(TerminalText.Width(l) <= 40, l));
        Assert.Contains("…", text);
        Assert.Contains("sleep 300", text);
    }

    [Fact]
    public void A_table_too_wide_even_when_shrunk_leaves_out_its_last_columns()
    {
        var headers = Enumerable.Range(0, 20).Select(i => $"COLUMN{i}").ToArray();
        var t = new TableLayout(headers);
        t.Add(headers.Select(h => h.ToLowerInvariant()).ToArray());
        var text = t.Render(width: 50);
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.True(l.Length <= 50, l));
        Assert.StartsWith("COLUMN0", text);
    }

    [Theory]
    [InlineData(0.85, "850 ms")]
    [InlineData(4.2, "4.2 s")]
    [InlineData(185, "3m 05s")]
    [InlineData(7800, "2h 10m")]
    [InlineData(450000, "5d 05h")]
    public void Durations_read_as_an_operator_writes_them(double seconds, string expected)
    {
        Assert.Equal(expected, FieldUnits.Duration(seconds));
    }

    [Fact]
    public void Names_say_the_unit_and_headers_drop_it()
    {
        Assert.Equal("bytes", FieldUnits.ByName("rss_bytes"));
        Assert.Equal("bytes", FieldUnits.ByName("size"));
        Assert.Equal("seconds", FieldUnits.ByName("elapsed_seconds"));
        Assert.Equal("milliseconds", FieldUnits.ByName("waited_ms"));
        Assert.Null(FieldUnits.ByName("pid"));
        Assert.Equal("rss", FieldUnits.HeaderOf("rss_bytes"));
    }

    static string[] Ndjson(string envelope)
    {
        var output = new MemoryStream();
        NdjsonLines.Write(output, Encoding.UTF8.GetBytes(envelope), itemsAlreadyStreamed: false);
        return Encoding.UTF8.GetString(output.ToArray()).TrimEnd('\n').Split('\n');
    }

    [Fact]
    public void Ndjson_splits_the_list_and_keeps_the_rest_as_the_summary()
    {
        var lines = Ndjson("""{"ok":true,"result":{"count":2,"matched":5,"processes":[{"pid":1},{"pid":2}]},"error":null}""");
        Assert.Equal(3, lines.Length);
        Assert.Equal(1, JsonNode.Parse(lines[0])!["pid"]!.GetValue<int>());
        var summary = JsonNode.Parse(lines[2])!["result"]!;
        Assert.Null(summary["processes"]);
        Assert.Equal(5, summary["matched"]!.GetValue<int>());
        Assert.Equal(2, summary["count"]!.GetValue<int>());
    }

    [Fact]
    public void Ndjson_flattens_trees_depth_first_with_their_depth()
    {
        var lines = Ndjson("""{"ok":true,"result":{"roots":[{"pid":1,"children":[{"pid":2,"children":[{"pid":3,"children":[]}]},{"pid":4,"children":[]}]}]}}""");
        Assert.Equal(["1:0", "2:1", "3:2", "4:1"], lines[..4].Select(l => JsonNode.Parse(l)!).Select(n => $"{n["pid"]}:{n["depth"]}"));
        Assert.Equal(4, JsonNode.Parse(lines[4])!["result"]!["count"]!.GetValue<int>());
    }

    [Fact]
    public void Ndjson_of_a_result_without_a_list_is_the_envelope()
    {
        var lines = Ndjson("""{"ok":true,"result":{"path":"/etc/hosts","size":3}}""");
        Assert.Single(lines);
    }

    [Theory]
    [InlineData("Overflow_Int64", true)]
    [InlineData("IO_FileTooLong2GB", true)]
    [InlineData("UnauthorizedAccess_IODenied_Path, /x", true)]
    [InlineData("TarSizeFieldNegative", true)]
    [InlineData("Permission denied.", false)]
    [InlineData("Timeout", false)]
    public void Resource_keys_are_recognised(string message, bool key)
    {
        Assert.Equal(key, ExceptionTranslation.IsResourceKey(message));
    }

    [Fact]
    public void Exceptions_with_resource_keys_are_described_in_sentences()
    {
        Assert.Equal("The file is larger than 2 GiB, more than can be held in memory at once.", ExceptionTranslation.Describe(new IOException("IO_FileTooLong2GB")));
        Assert.Equal("Permission denied.", ExceptionTranslation.Describe(new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /root/x")));
        Assert.StartsWith("A number is too large", ExceptionTranslation.Describe(new OverflowException("Overflow_Int64")));
        var error = ExceptionTranslation.ToError(new InvalidOperationException("SomeInternalKey"));
        Assert.DoesNotContain("SomeInternalKey", error.Message);
    }

    [Fact]
    public void Regex_errors_say_what_and_where()
    {
        var ex = Assert.Throws<System.Text.RegularExpressions.RegexParseException>(() => new System.Text.RegularExpressions.Regex("ab[c"));
        Assert.Equal("`pattern` is not a valid regular expression: an unterminated [] set at position 4.", ExceptionTranslation.RegexMessage(ex, "pattern"));
    }

    [Fact]
    public void An_overlong_name_is_usage_naming_the_255_byte_limit()
    {
        var error = ExceptionTranslation.FromErrno(36, "", null, "/tmp/" + new string('n', 300));
        Assert.Equal(ErrorCode.Usage, error.Code);
        Assert.Contains("255 bytes", error.Message);
    }
}
