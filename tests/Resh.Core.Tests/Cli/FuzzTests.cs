using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Resh.Core.Errors;
using Xunit;

namespace Resh.Core.Tests.Cli;

/// <summary>
/// Any text as STAGE or as an argument gives exactly one envelope with a SPEC §3 code and the
/// matching exit status: never a crash, a hang or a stray exit code.
/// </summary>
public sealed class FuzzTests
{
    static readonly int[] Statuses = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 130];

    // Grammar-shaped fragments mixed with arbitrary Unicode, so the parser's edges are reached often.
    static readonly Gen<string> Fragment = Gen.Frequency(
        (3, Gen.String),
        (1, Gen.Char.Array[0, 4].Select(c => new string(c))),
        (4, Gen.OneOf("file://", "system://", "t://", "tt://", "://", "x", "/tmp/resh-fuzz", ".read", ".stat", ".exists",
            ".list", ".hash", ".get", ".need", ".lines.ensure", ".ea.get", "(", ")", ",", "=", ":=", "@", "@-", "@@", "\"", "'",
            "\\", "%", "%2", "%zz", "%20", "--", "-", "--force", "--no-force", "--args", "{", "}", "[", "]", "\0", "\n", "..", "/",
            " ", "name", "count", "tags", "data", "mode", "5", "-1", "1e999", "true", "é", "😀", "\uFFFF", "\uD800")));

    static readonly Gen<string> Text = Fragment.Array[1, 10].Select(a => string.Concat(a));

    static void AssertOneEnvelope(string[] argv, InProcess.Result r)
    {
        Assert.Contains(r.Exit, Statuses);
        // A generated word can be the quiet flag (seed 3nPleGqH6xo1 made `-q`): quiet prints no envelope by design,
        // an error goes to stderr as one line; the exit status above is still checked.
        if (argv.Any(a => a is "-q" or "--quiet") && r.Stdout.Length == 0) return; // (after `--` it is a word, and the envelope is checked)
        var line = r.Stdout.TrimEnd('\n');
        Assert.False(line.Contains('\n'), $"more than one line for [{string.Join(" | ", argv)}]: {r.Stdout}");
        JsonObject env;
        try { env = (JsonObject)JsonNode.Parse(line)!; }
        catch (Exception ex) when (ex is JsonException or InvalidCastException)
        {
            throw new Xunit.Sdk.XunitException($"not an envelope for [{string.Join(" | ", argv)}]: {r.Stdout} {r.Stderr}");
        }
        var ok = env["ok"]!.GetValue<bool>();
        if (ok)
        {
            Assert.Equal(0, r.Exit);
            return;
        }
        var code = env["error"]!["code"]!.GetValue<string>();
        Assert.True(ErrorCodes.TryParse(code, out var parsed), $"unknown code {code}");
        Assert.Equal(parsed.ExitStatus(), r.Exit);
        Assert.False(string.IsNullOrWhiteSpace(env["error"]!["message"]!.GetValue<string>()));
        Assert.DoesNotContain("   at ", r.Stdout); // no stack trace
    }

    static string[] Argv(params string[] tail) => ["--format", "json", "--dry-run", "--timeout", "3s", .. tail];

    [Fact]
    public void Any_text_as_the_stage_gives_one_envelope()
    {
        var registry = TestHandles.Registry();
        Text.Sample(stage =>
        {
            if (stage.StartsWith('-')) stage = "x" + stage; // a leading dash is a flag, covered below
            var argv = Argv(stage);
            AssertOneEnvelope(argv, InProcess.Run(registry, argv));
        }, iter: 3000);
    }

    [Fact]
    public void Any_text_as_an_argument_gives_one_envelope()
    {
        var registry = TestHandles.Registry();
        Gen.Select(Text, Text).Sample((a, b) =>
        {
            var argv = Argv("t://x.read", a, b);
            if (a is "--format" or "--json-pretty" || b is "--format" or "--json-pretty") return;
            AssertOneEnvelope(argv, InProcess.Run(registry, argv));
        }, iter: 3000);
    }

    [Fact]
    public void Any_text_against_the_real_handles_gives_one_envelope()
    {
        var registry = Resh.Cli.HandleCatalog.Build();
        Gen.Select(Text, Text).Sample((stage, arg) =>
        {
            if (stage.StartsWith('-')) stage = "x" + stage;
            if (arg is "--format" or "--json-pretty" or "-h" or "--help") return;
            var argv = Argv(stage.Replace("t://", "file://"), arg);
            AssertOneEnvelope(argv, InProcess.Run(registry, argv));
        }, iter: 1500);
    }
}
