using System.Text.RegularExpressions;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>Issue 10: a hint that names a command can be pasted and run; bash completion escapes what bash would split.</summary>
public sealed partial class HintAndCompletionTests
{
    /// <summary>Runs the `resh ...` command a hint suggests (through bash, as a user pastes it) with extra words appended.</summary>
    static ShellRun RunHint(string hint, string extra)
    {
        var m = HintCommand().Match(hint);
        Assert.True(m.Success, $"no command in the hint: {hint}");
        return Shell.Run($"\"$RESH\" {m.Groups[1].Value} {extra}");
    }

    [GeneratedRegex(@"\(resh (.+)\)$")]
    private static partial Regex HintCommand();

    [Fact]
    public void A_typo_in_a_dotted_verb_suggests_a_command_that_runs()
    {
        using var dir = new TempDir("hint");
        var file = dir.File("notes.txt", "a\n");
        var run = ReshBinary.Run($"file://{file}.lines.ensur", "line=b");
        Assert.Equal("usage", run.ErrorCode);
        var hint = run.Envelope["error"]!["hint"]!.GetValue<string>();
        Assert.DoesNotContain("lines.lines", hint);
        var again = RunHint(hint, "line=b --dry-run");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("\"verb\":\"lines.ensure\"", again.Stdout);
        Assert.Contains($"\"target\":\"file://{file}\"", again.Stdout);
    }

    [Theory]
    [InlineData("my notes.txt")]
    [InlineData("100% done.txt")]
    [InlineData("it's (final).txt")]
    public void A_suggestion_for_a_name_with_spaces_or_escapes_is_quoted_and_runs(string name)
    {
        using var dir = new TempDir("hintq");
        var file = dir.File(name, "content\n");
        var typed = $"file://{dir.Path}/{Uri.EscapeDataString(name).Replace("%20", " ")}";
        var run = ReshBinary.Run($"{typed}.raed");
        Assert.Equal("usage", run.ErrorCode);
        var again = RunHint(run.Envelope["error"]!["hint"]!.GetValue<string>(), "");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("content", again.Stdout);
    }

    [Fact]
    public void A_verb_typo_after_a_spaced_target_suggests_a_runnable_command()
    {
        var run = ReshBinary.Run("system://", "memroy");
        var again = RunHint(run.Envelope["error"]!["hint"]!.GetValue<string>(), "");
        Assert.True(again.ExitCode == 0, again.ToString());
    }

    [Fact]
    public void Checking_the_mounted_root_device_does_not_suggest_unmounting_root()
    {
        var source = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')).First(f => f[4] == "/");
        var device = source[Array.IndexOf(source, "-") + 2];
        Assert.StartsWith("/dev/", device); // the test machine boots from a block device
        var run = ReshBinary.Run($"fs://{device}.check");
        Assert.Equal("conflict", run.ErrorCode);
        Assert.DoesNotContain(".unmount", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void Bash_completion_escapes_spaces_in_file_names()
    {
        using var dir = new TempDir("complsp");
        Directory.CreateDirectory(dir["my dir"]);
        var script = ReshBinary.Run("completion", "bash").Stdout;
        var scriptPath = dir.File("resh.bash", script);
        var binDir = Path.GetDirectoryName(ReshBinary.Path)!;
        string Complete(string typed) => Shell.Run($$"""
            export PATH={{Shell.Q(binDir)}}:"$PATH"
            source {{Shell.Q(scriptPath)}}
            COMP_LINE={{Shell.Q("resh " + typed)}}; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(resh {{Shell.Q(typed)}}); COMP_CWORD=1
            _resh_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """).Stdout;
        // bash breaks words at ':', so the reply is what follows it, with the space escaped.
        Assert.Contains($"//{dir.Path}/my\\ dir/", Complete($"file://{dir.Path}/my").Split('\n'));
        // Half an escaped name continues it.
        Assert.Contains($"//{dir.Path}/my\\ dir/", Complete($"file://{dir.Path}/my\\ d").Split('\n'));
    }
}
