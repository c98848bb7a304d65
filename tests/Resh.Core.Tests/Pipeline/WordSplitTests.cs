using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Grammar;
using Resh.Core.Pipeline;
using Resh.Core.Text;
using Resh.Surfaces.Shell;
using Xunit;

namespace Resh.Core.Tests.Pipeline;

/// <summary>
/// One word splitter (s41): a line typed in the interactive shell and the same text given as one quoted pipeline on the
/// command line give the same stages, word for word, and filters that keep the same items.
/// </summary>
public sealed class WordSplitTests
{
    public static readonly TheoryData<string> Lines = new()
    {
        "proc://.list | where name == \"sleep\" | count",
        "proc://.list(match=\"a,b\") | count",                         // quotes inside parentheses reach the stage parser
        "pt://.list | pt://x.touch(note=\"a b\", n=1) --dry-run",      // a space inside parentheses does not split
        "file:///tmp/a\\ b.list | count",                               // a backslash escapes the space
        "pt://.list | pt://{name}.touch note=\"x \\\"y\\\" z\"",
        "pt://.list | pt://{name}.touch note='it''s'",
        "pt://.list | pt://{name}.touch note=\"C:\\dir\"",             // a backslash before an ordinary character is kept in \"...\"
        "pt://.list | pt://{name}.touch \"note=a\\$b\"",
        "pt://.list | where name =~ \"^a b\" | select name,size",
        "pt://.list | where size > 1MiB and name != 'x y' | sort -size | first 2",
        "pt://.list(tag=[\"a b\"]) | count",
    };

    static readonly List<JsonObject> Items =
    [
        new() { ["name"] = "sleep", ["size"] = "2MiB" },
        new() { ["name"] = "a b c", ["size"] = 10 },
        new() { ["name"] = "x y", ["size"] = "5MiB" },
        new() { ["name"] = "zzz", ["size"] = "3MiB" },
    ];

    [Theory]
    [MemberData(nameof(Lines))]
    public void A_shell_line_and_a_quoted_pipeline_split_the_same(string line)
    {
        var quoted = PipelineSyntax.Split([line]);
        var typed = PipelineSyntax.Split(ShellWords.Split(line));
        Assert.Equal(quoted.Segments.Count, typed.Segments.Count);
        for (int i = 0; i < quoted.Segments.Count; i++)
        {
            var q = quoted.Segments[i];
            var t = typed.Segments[i];
            if (i > 0 && q.Words.Count > 0 && ItemFilter.IsFilter(q.Words[0]))
            {
                // A filter is read from its text: both spellings keep the same items.
                var fq = ItemFilter.Parse(q.Text).Apply(Items.Select(x => (JsonObject)x.DeepClone()).ToList());
                var ft = ItemFilter.Parse(t.Text).Apply(Items.Select(x => (JsonObject)x.DeepClone()).ToList());
                Assert.Equal(string.Join("\n", fq.Select(x => x.ToJsonString())), string.Join("\n", ft.Select(x => x.ToJsonString())));
            }
            else Assert.Equal(q.Words, t.Words);
        }
    }

    [Theory]
    [InlineData("a \"b c\" key='d e' x(y=\"1 2\")", new[] { "a", "b c", "key=d e", "x(y=\"1 2\")" })]
    [InlineData("a\\ b \"c\\\"d\" 'e\\f'", new[] { "a b", "c\"d", "e\\f" })]
    [InlineData("\"x\\ny\" \"\\$HOME\" \\$HOME", new[] { "x\\ny", "$HOME", "$HOME" })]
    [InlineData("p(a=\"x y\", b='z') q", new[] { "p(a=\"x y\", b='z')", "q" })]
    [InlineData("p(a=x\\,y)", new[] { "p(a=x\\,y)" })]           // inside brackets a backslash is the stage parser's
    [InlineData("a|b | c", new[] { "a|b", "|", "c" })]
    [InlineData("  ", new string[0])]
    [InlineData("''", new[] { "" })]
    public void The_rules_of_the_one_splitter(string text, string[] words)
    {
        Assert.Equal(words, WordSplitter.Split(text));
        Assert.Equal(words, ShellWords.Split(text)); // the shell without variables is the same splitter
    }

    [Theory]
    [InlineData("a \"b")]
    [InlineData("a 'b")]
    [InlineData("p(a=\"b)")]
    public void An_unclosed_quote_is_usage_in_a_pipeline_and_an_error_line_in_the_shell(string text)
    {
        var ex = Assert.Throws<ReshException>(() => WordSplitter.Split(text));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.Contains("not closed", Assert.Throws<ShellWords.VariableException>(() => ShellWords.Split(text)).Message);
    }

    [Fact]
    public void The_shell_expands_variables_through_the_splitters_hook_and_a_pipeline_does_not()
    {
        var p = JsonNode.Parse("""{"pid":42,"name":"a b","cmd":"@/etc/shadow"}""");
        JsonNode? Lookup(string n) => n == "p" ? p : throw new ShellWords.VariableException("$" + n + " is not set");
        Assert.Equal(["proc://42.kill", "note=a b", "x=$p.pid", "y=a b"], ShellWords.Split("proc://{$p.pid}.kill note=\"$p.name\" x='$p.pid' y={$p.name}", Lookup));
        Assert.Equal(["proc://{$p.pid}.kill"], WordSplitter.Split("proc://{$p.pid}.kill"));
        Assert.Throws<ShellWords.VariableException>(() => ShellWords.Split("file:///x.write content=$p.cmd", Lookup));
    }

    static JsonNode? Vars(string n) => n switch
    {
        "v" => JsonNode.Parse("""{"comma":"a,recursive=true","paren":"a),recursive=true,x=(","quote":"a\\\",recursive=true,x=\"","name":"x y","evil":"x\" or name != \"","n":5,"obj":{"k":"a,b)"},"dots":"a.delete(recursive=true)","bar":"1 | file:///etc.delete"}"""),
        _ => throw new ShellWords.VariableException("$" + n + " is not set"),
    };

    [Theory]
    [InlineData("pt://.list | where (size > 1MiB or name == \"x y\") | count")]
    [InlineData("pt://.list | where (name == 'zzz' or (size < 3MiB and name != \"a b c\")) | first 2")]
    [InlineData("pt://.list | where not (name =~ \"^a b\") | sort -size | first 2")]
    public void A_shell_line_passes_a_filter_with_parentheses_through_as_typed(string line)
    {
        // s41: the group was a word of its own and was re-quoted into a string, so the filter was `usage` in the shell.
        var quoted = PipelineSyntax.Split([line]);
        var typed = PipelineSyntax.Split(ShellWords.SplitLine(line, Vars));
        Assert.Equal(quoted.Segments.Select(s => s.Text), typed.Segments.Select(s => s.Text));
        Assert.Equal(quoted.Segments.Select(s => s.Words), typed.Segments.Select(s => s.Words));
        var kept = ItemFilter.Parse(typed.Segments[1].Text).Apply(Items.Select(x => (JsonObject)x.DeepClone()).ToList());
        Assert.NotEmpty(kept);
        Assert.True(kept.Count < Items.Count);
    }

    [Fact]
    public void A_variable_in_a_filter_is_one_literal()
    {
        string Filter(string line) => PipelineSyntax.Split(ShellWords.SplitLine(line, Vars)).Segments[1].Text;
        List<JsonObject> Keep(string line) => ItemFilter.Parse(Filter(line)).Apply(Items.Select(x => (JsonObject)x.DeepClone()).ToList());
        Assert.Equal(["x y"], Keep("pt://.list | where name == $v.name").Select(x => (string)x["name"]!));
        Assert.Equal(["x y"], Keep("pt://.list | where (name == $v.name)").Select(x => (string)x["name"]!));
        // A value holding quotes and `or` stays a string: it matches no item instead of all of them.
        Assert.Empty(Keep("pt://.list | where name == $v.evil"));
        Assert.Empty(Keep("pt://.list | where name == \"$v.evil\""));
        Assert.Equal("where size > 5", Filter("pt://.list | where size > $v.n"));
    }

    [Theory]
    [InlineData("comma")]
    [InlineData("paren")]
    [InlineData("quote")]
    [InlineData("name")]
    public void A_variable_inside_a_stages_parentheses_is_exactly_one_value(string field)
    {
        var value = (string)Vars("v")![field]!;
        foreach (var line in new[] { $"pt://.list(match=$v.{field})", $"pt://.list(match={{$v.{field}}})", $"pt://.list(match=\"pre $v.{field}\")",
                                     $"pt://.list(n=1,match=$v.{field})", $"pt://.list($v.{field})" })
        {
            var words = ShellWords.SplitLine(line, Vars);
            var stage = Assert.Single(words);
            var args = StageParser.Parse(stage).ParenArgs;
            var piece = args[^1];
            Assert.Equal(line.Contains("(n=1") ? 2 : 1, args.Count);
            Assert.Equal(line.Contains("pre ") ? "pre " + value : value, piece.Value);
            Assert.Equal(line.Contains("($v") ? null : "match", piece.Key);
        }
        // After key:= the value is its JSON: one JSON value.
        var json = StageParser.Parse(Assert.Single(ShellWords.SplitLine("pt://.list(spec:=$v.obj,n=1)", Vars))).ParenArgs;
        Assert.Equal(2, json.Count);
        Assert.Equal("""{"k":"a,b)"}""", json[0].Value);
    }

    [Theory]
    [InlineData("pt://.list(sql=COUNT($v.paren))")]   // nested: a quote there is not the stage parser's
    [InlineData("pt://.list(a=b$v.comma)")]           // mid-value: the same
    [InlineData("pt://.list(a=b\"$v.comma\")")]
    [InlineData("pt://.list(tag=[$v.comma])")]
    public void A_variable_inside_parentheses_that_cannot_be_one_value_is_refused(string line)
    {
        var ex = Assert.Throws<ShellWords.VariableException>(() => ShellWords.SplitLine(line, Vars));
        Assert.Contains("whole argument value", ex.Message);
    }

    [Fact]
    public void A_variable_in_a_target_is_percent_encoded_and_cannot_change_the_stage()
    {
        var word = Assert.Single(ShellWords.SplitLine("file:///tmp/{$v.dots}.stat", Vars));
        var stage = StageParser.Parse(word);
        Assert.False(stage.HasParenArgs);
        Assert.EndsWith(".stat", stage.Body);
        Assert.Equal("/tmp/a.delete(recursive=true)", PercentDecoding.Decode(stage.Body[..^".stat".Length]));
        // A `|` in a value is no pipeline: one word, and the line is no pipeline.
        var words = ShellWords.SplitLine("proc://{$v.bar}.status", Vars);
        Assert.Equal("proc://1%20%7C%20file%3A%2F%2F%2Fetc%2Edelete.status", Assert.Single(words));
        Assert.False(PipelineSyntax.IsPipeline(words));
        // Not a target: an argument value stays the value (one argv word).
        Assert.Equal(["pt://x.touch", "note=a.delete(recursive=true)", "url=file://a.delete(recursive=true)"],
            ShellWords.SplitLine("pt://x.touch note=$v.dots url=file://$v.dots", Vars));
    }

    /// <summary>
    /// A completed word goes into the line so that the splitter gives it back; a stage's own argument list stays open as
    /// typed, where the stage grammar says the arguments begin (StageParser.ArgumentsAt, s42), and a bracket in a name is escaped.
    /// </summary>
    [Theory]
    [InlineData("proc://.list(match=", "proc://.list(match=", 12)]
    [InlineData("svc://.list(type=timer)", "svc://.list(type=timer)", 11)]
    [InlineData("proc://.nice.set(", "proc://.nice.set(", 16)]
    [InlineData("ssh://web01/proc://.list(ma", "ssh://web01/proc://.list(ma", 24)]
    [InlineData("file:///tmp/a(b", "file:///tmp/a\\(b", -1)]
    [InlineData("file:///tmp/[x].read(", "file:///tmp/\\[x\\].read\\(", -1)]
    [InlineData("file:///tmp/a b.txt", "file:///tmp/a\\ b.txt", -1)]
    [InlineData("proc://(", "proc://\\(", -1)]
    [InlineData("x.list(", "x.list\\(", -1)]
    [InlineData("(name", "\\(name", -1)]
    public void Escape_keeps_a_stages_argument_list_where_the_grammar_says_it_begins(string word, string typed, int at)
    {
        Assert.Equal(at, StageParser.ArgumentsAt(word));
        Assert.Equal(typed, ShellWords.Escape(word));
        Assert.Equal([word], ShellWords.Split(typed));
    }

    /// <summary>In a pipeline's filter stage, whose text is passed on as typed, a completed field goes in as it is (s42: `where (na`).</summary>
    [Theory]
    [InlineData("proc://.list | where ", "(name", "(name")]
    [InlineData("proc://.list | where (name == \"x\" or ", "!user", "!user")]
    [InlineData("proc://.list | sort ", "-pid", "-pid")]
    [InlineData("proc://.list | ", "proc://{pid}", "proc://{pid}")]
    [InlineData("file:///tmp/x.write content=", "(name", "\\(name")]
    [InlineData("proc://.list | where ", "a b", "a\\ b")]
    public void Escape_at_leaves_a_filters_words_as_typed(string before, string word, string typed) =>
        Assert.Equal(typed, ShellWords.EscapeAt(before, word));

    [Fact]
    public void Is_pipeline_allocates_nothing_for_a_call_without_a_bar()
    {
        string[] argv = ["proc://.list(match=abc)", "--format", "json", "--timeout", "5s"];
        Assert.False(PipelineSyntax.IsPipeline(argv)); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Assert.False(PipelineSyntax.IsPipeline(argv));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(PipelineSyntax.IsPipeline(["proc://.list | count"]));
        Assert.True(PipelineSyntax.IsPipeline(["proc://.list", "|", "count"]));
    }
}
