using Xunit;

namespace Resh.Core.Tests.Cli;

/// <summary>Every spelling of SPEC §1 binds the same typed values.</summary>
public sealed class ArgumentSpellingTests
{
    [Theory]
    [InlineData("t://x.read(name=abc)")]
    [InlineData("t://x.read", "name=abc")]
    [InlineData("t://x", "read", "name=abc")]
    [InlineData("t://x", "read", "--name", "abc")]
    [InlineData("t://x", "read", "--name=abc")]
    [InlineData("t://x.read", "--args", "{\"name\":\"abc\"}")]
    [InlineData("t://x.read", "name:=\"abc\"")]
    public void All_spellings_mean_the_same_call(params string[] argv)
    {
        var r = InProcess.Run(argv);
        Assert.Equal(0, r.Exit);
        Assert.Equal("abc", r.Arg("name"));
        Assert.Equal("x", r.Envelope["result"]!["target"]!.GetValue<string>());
        Assert.Equal("t://x", r.Envelope["target"]!.GetValue<string>());
    }

    [Fact]
    public void Typed_values_are_parsed_by_declaration()
    {
        var r = InProcess.Run("t://x.read(count=5,force=yes,wait=1m30s,max=10KiB,mode=SLOW,tags=a,b)");
        Assert.Equal(0, r.Exit);
        Assert.Equal("5", r.Arg("count"));
        Assert.Equal("true", r.Arg("force"));
        Assert.Equal("ms:90000", r.Arg("wait"));
        Assert.Equal("10240", r.Arg("max"));
        Assert.Equal("slow", r.Arg("mode"));
        Assert.Equal("[a|b]", r.Arg("tags"));
    }

    [Fact]
    public void Flags_set_booleans_and_no_flags_clear_them()
    {
        Assert.Equal("true", InProcess.Run("t://x.read", "--force").Arg("force"));
        Assert.Equal("false", InProcess.Run("t://x.read", "--no-force").Arg("force"));
        Assert.Equal("false", InProcess.Run("t://x.read", "--force=false").Arg("force"));
        Assert.Equal("true", InProcess.Run("t://x.read(force)").Arg("force"));
    }

    [Fact]
    public void Kebab_case_flags_match_snake_case_arguments()
    {
        var registry = TestHandles.Registry();
        var r = InProcess.Run(registry, ["t://x.read", "--name", "a"]);
        Assert.Equal("a", r.Arg("name"));
    }

    [Fact]
    public void Repeated_list_arguments_accumulate()
    {
        var r = InProcess.Run("t://x.read", "tags=a", "tags=b,c", "--tags", "d");
        Assert.Equal("[a|b|c|d]", r.Arg("tags"));
    }

    [Fact]
    public void Json_values_type_lists_and_objects()
    {
        Assert.Equal("[a|b]", InProcess.Run("t://x.read", "tags:=[\"a\",\"b\"]").Arg("tags"));
        Assert.Equal("json:{\"k\":[1,2]}", InProcess.Run("t://x.read", "data:={\"k\":[1,2]}").Arg("data"));
        Assert.Equal("7", InProcess.Run("t://x.read", "count:=7").Arg("count"));
        Assert.Equal("ms:2500", InProcess.Run("t://x.read", "wait:=2.5").Arg("wait"));
    }

    [Fact]
    public void At_file_reads_the_value_from_a_file()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "from file\n");
            Assert.Equal("from file", InProcess.Run("t://x.read", $"name=@{path}").Arg("name"));
            Assert.Equal("bytes:from file\n", InProcess.Run("t://x.read", $"content=@{path}").Arg("content"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void At_dash_reads_the_value_from_stdin()
    {
        var r = InProcess.Run(TestHandles.Registry(), ["t://x.read", "content=@-"], stdin: "piped\nbytes");
        Assert.Equal("bytes:piped\nbytes", r.Arg("content"));
    }

    [Fact]
    public void Args_dash_reads_all_arguments_from_stdin()
    {
        var r = InProcess.Run(TestHandles.Registry(), ["t://x.read", "--args", "-"], stdin: "{\"count\": 3, \"force\": true}");
        Assert.Equal("3", r.Arg("count"));
        Assert.Equal("true", r.Arg("force"));
    }

    [Fact]
    public void Double_at_is_a_literal_at()
    {
        Assert.Equal("@home", InProcess.Run("t://x.read", "name=@@home").Arg("name"));
    }

    [Fact]
    public void Arguments_declared_literal_at_keep_their_at()
    {
        Assert.Equal("@daily", InProcess.Run("t://x.read(schedule=@daily)").Arg("schedule"));
    }

    [Fact]
    public void A_quoted_parenthesised_value_never_reads_a_file()
    {
        Assert.Equal("@/etc/passwd", InProcess.Run("t://x.read(name=\"@/etc/passwd\")").Arg("name"));
    }

    [Fact]
    public void A_keyless_piece_continues_the_previous_value()
    {
        var r = InProcess.Run("t://.read(expression=0 3 * * 1,5,count=3)");
        Assert.Equal(0, r.Exit);
        Assert.Equal("0 3 * * 1,5", r.Arg("expression"));
        Assert.Equal("3", r.Arg("count"));
    }

    [Fact]
    public void Parenthesised_sql_with_parentheses_binds_whole()
    {
        Assert.Equal("SELECT COUNT(*) FROM t", InProcess.Run("t://x.read(sql=SELECT COUNT(*) FROM t)").Arg("sql"));
    }

    [Fact]
    public void Everything_after_double_dash_is_positional()
    {
        var r = InProcess.Run("t://x", "run", "--force", "--", "uname", "-a", "--force", "k=v");
        Assert.Equal(0, r.Exit);
        Assert.Equal("true", r.Arg("force"));
        Assert.Equal("[uname|-a|--force|k=v]", r.Arg("words"));
    }

    [Fact]
    public void Global_flags_after_the_stage_still_apply()
    {
        var r = InProcess.Run("t://x.read", "--format", "json-pretty");
        Assert.Contains("\n  \"ok\": true", r.Stdout);
    }

    [Fact]
    public void Percent_escapes_decode_in_the_target_only()
    {
        var r = InProcess.Run("t://a%20b%2Eread.read(name=a%20b)");
        Assert.Equal("a b.read", r.Envelope["result"]!["target"]!.GetValue<string>());
        Assert.Equal("a%20b", r.Arg("name"));
    }

    [Fact]
    public void Dry_run_is_echoed_in_the_envelope()
    {
        var r = InProcess.Run("--dry-run", "t://x.read");
        Assert.True(r.Envelope["dry_run"]!.GetValue<bool>());
    }

    [Fact]
    public void Unicode_values_survive_every_spelling()
    {
        Assert.Equal("héllo wörld ✓", InProcess.Run("t://x.read(name=héllo wörld ✓)").Arg("name"));
        Assert.Equal("héllo", InProcess.Run("t://x.read", "--args", "{\"name\":\"h\\u00e9llo\"}").Arg("name"));
    }
}
