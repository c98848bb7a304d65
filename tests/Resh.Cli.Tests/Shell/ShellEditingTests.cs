using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Resh.TestSupport;
using Xunit;
using static Resh.Cli.Tests.Interactive.ShellTests;

namespace Resh.Cli.Tests.Interactive;

/// <summary>
/// The shell's completion inside pipelines and parentheses, ssh host completion from the configured ssh_config, the
/// redraw of lines wider than the terminal, and Ctrl-C stopping a running pipeline: all through a real pseudo-terminal
/// (pty_drive.py), the real binary and real processes.
/// </summary>
public sealed class ShellEditingTests : IDisposable
{
    readonly TempDir _home = new("shell-edit");

    public void Dispose() => _home.Dispose();

    static Step Prompt(double timeout = 20) => new(null, @"resh[^\n]*> $", timeout);

    [Fact]
    public void Tab_after_a_pipe_completes_the_stage_under_the_cursor_not_the_first_one()
    {
        var run = Drive(_home.Path,
        [
            Prompt(),
            // After `| `: the filters and the schemes, not proc.list's arguments.
            new("proc://.list | \t", @"where[\s\S]*select[\s\S]*proc://"),
            new("wh\t", @"\| where "),
            // A filter's operand: the fields of proc.list's items (name, not the argument match=).
            new("na\t", @"where name "),
            new("== x | so\t", @"\| sort "),
            new("rs\t", @"sort rss_bytes "),
            // A later stage: `{` offers the fields as templates.
            new("| proc://{pi\t", @"proc://\{pid\}"),
            new("\u0015proc://.list | select pid,us\t", @"select pid,user "),
            new("\u0003", @"\^C"),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        // The menu row: the first stage's arguments are not offered after the pipe.
        var menu = run.Out(1).Split('\n').First(l => l.Contains("where", StringComparison.Ordinal));
        Assert.DoesNotContain("match=", menu);
        Assert.Contains("count", menu);
    }

    [Fact]
    public void Tab_inside_parentheses_completes_argument_names_and_enum_values()
    {
        var run = Drive(_home.Path,
        [
            Prompt(),
            new("proc://.list(ma\t", @"proc://\.list\(match="),
            new("\u0015svc://.list(ty\t", @"svc://\.list\(type="),
            new("\t", @"timer[\s\S]*> svc://\.list\(type="),            // the enum's values, as a menu
            new("ti\t", @"\(type=timer"),
            new(")", @"type=timer\)"),                                    // no space was added inside the parentheses
            new("\u0015svc://.list(type=timer,ty\t", null, 1),           // an argument already given is not offered again
            new("\u0003", @"\^C"),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        Assert.DoesNotContain("type=timer,type=", run.Out(6));
    }

    [Fact]
    public void A_name_with_control_characters_is_never_inserted_by_completion()
    {
        // s41 attacker #4: a file another user names with ESC c (terminal reset) was inserted raw as the one candidate.
        var dir = _home["hostile"];
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "zz\u001bc\u001b#8"), "");
        var run = Drive(_home.Path,
        [
            Prompt(),
            new($"file://{dir}/zz\t", null, 2),
            new("\u0003", @"\^C"),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        Assert.DoesNotContain("\u001bc", run.Out(1));
        Assert.DoesNotContain("\u001b#8", run.Out(1));
    }

    [Fact]
    public void Ssh_hosts_complete_from_the_configured_ssh_config_and_the_inventory()
    {
        var custom = _home.File("custom_ssh_config", "Host zeta-custom-only\n  HostName 127.0.0.1\nHost *.wild\n  User x\n");
        Directory.CreateDirectory(_home[".ssh"]);
        File.WriteAllText(Path.Combine(_home[".ssh"], "config"), "Host alpha-home-only\n  HostName 127.0.0.1\n");
        Directory.CreateDirectory(Path.Combine(_home.Path, ".config", "resh"));
        File.WriteAllText(Path.Combine(_home.Path, ".config", "resh", "config.toml"),
            $"[ssh]\nconfig = \"{custom}\"\n\n[inventory]\nwebfarm = [\"farm01.example\"]\n");
        var run = Drive(_home.Path,
        [
            Prompt(),
            new("ssh://zeta\t", @"ssh://zeta-custom-only"),
            new("\u0015ssh://@web\t", @"ssh://@webfarm"),
            new("\u0015ssh://farm\t", @"ssh://farm01\.example"),
            // ssh -F reads only the configured file: ~/.ssh/config's hosts are not ssh's hosts here.
            new("\u0015ssh://alpha\t", null, 1.5),
            new("\u0003", @"\^C"),
            new("\u0004", null, 1),
        ], "shell");
        run.AllMatched();
        Assert.DoesNotContain("alpha-home-only", run.Out(4));
    }

    [Fact]
    public void Editing_a_line_wider_than_the_terminal_leaves_exactly_the_line_on_the_screen()
    {
        const int cols = 20;
        var start = "file:///tmp/" + new string('a', 30) + "b";
        var expected = new StringBuilder(start);
        expected.Remove(30, 3).Insert(30, "XYZ").Insert(0, "Q").Append("cdefghi");
        var run = Drive(_home.Path,
        [
            Prompt(),
            new(start, "b", 10),                                          // three rows at 20 columns
            new(string.Concat(Enumerable.Repeat("\u001b[D", 10)) + "\u007f\u007f\u007f", null, 1), // left 10, backspace 3 (mid-line, across a row edge)
            new("XYZ", "Z", 5),
            new("\u0001Q", "Q", 5),                                      // Home, insert at the start: every row shifts
            new("\u0005cdefghijklmn", "n", 5),                            // End, grow to four rows (through the exact right margin)
            new("\u007f\u007f\u007f\u007f\u007f", null, 1, Screen: true), // shrink back to three
            new("\u0003", @"\^C"),
            new("\u0004", null, 1),
        ], new PtyOptions(Cols: cols, Rows: 24), "shell");
        Assert.True(run.Steps[1].Matched && run.Steps[3].Matched && run.Steps[4].Matched && run.Steps[5].Matched, run.Transcript);
        var screen = run.Screens[6];
        var full = "resh> " + expected;
        var want = Enumerable.Range(0, (full.Length + cols - 1) / cols).Select(i => full.Substring(i * cols, Math.Min(cols, full.Length - i * cols))).ToList();
        var at = screen.Rows.ToList().FindLastIndex(r => r.StartsWith("resh> ", StringComparison.Ordinal));
        var shown = string.Join("\n", screen.Rows);
        Assert.True(at >= 0, shown);
        Assert.Equal(want, screen.Rows.Skip(at).Take(want.Count).ToList());
        Assert.All(screen.Rows.Skip(at + want.Count), r => Assert.Equal("", r));              // nothing stale below
        Assert.Equal(1, screen.Rows.Count(r => r.StartsWith("resh> ", StringComparison.Ordinal))); // and no second copy above
        Assert.Equal((at + full.Length / cols, full.Length % cols), (screen.Row, screen.Col));   // the cursor after the line
    }

    [Fact]
    public void Ctrl_c_stops_a_running_pipeline_before_its_remaining_items_and_the_shell_stays()
    {
        var tag = Random.Shared.Next(100000, 999999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var procs = new List<Process>();
        try
        {
            // The first (lowest PID) ignores TERM, so kill(grace=60s) on it is a slow stage; the others die on TERM.
            procs.Add(Start("/bin/sh", "-c", $"trap '' TERM; exec sleep {tag}0"));
            Thread.Sleep(100);
            for (int i = 1; i <= 3; i++) procs.Add(Start("sleep", $"{tag}{i}"));
            Thread.Sleep(200);
            var run = Drive(_home.Path,
            [
                Prompt(),
                new($"'proc://.list(match=sleep {tag})' | sort pid | proc://{{pid}}.kill grace=60s --format json\r", "(?!)", 5),
                new("\u0003", @"> $", 15),
                new("system://.uptime --format json\r", "\"ok\": ?true", 15),
                new("\u0004", null, 1),
            ], "shell");
            Assert.True(run.Steps[2].Matched, run.Transcript);
            Assert.True(run.Steps[2].Ms < 10_000, $"the prompt came back after {run.Steps[2].Ms} ms; the stage's grace is 60 s");
            Assert.Contains("interrupted", run.Out(2));
            Assert.True(run.Steps[3].Matched, run.Transcript);                 // the shell survived
            Assert.False(procs[0].HasExited);                                     // the slow item was started (and ignores TERM)
            foreach (var p in procs.Skip(1)) Assert.False(p.HasExited, $"sleep {p.Id} was killed: an item after Ctrl-C ran\n{run.Transcript}");
        }
        finally
        {
            foreach (var p in procs) { try { p.Kill(); p.WaitForExit(2000); } catch (InvalidOperationException) { } p.Dispose(); }
        }
    }

    /// <summary>
    /// s42 user review: a Ctrl-R typed while a call ran was dropped (the terminal, back in its own mode for the call, took
    /// it as "reprint the line"). Keys typed while a call runs wait for the editor, as bash's typeahead does: Ctrl-R
    /// starts the reverse search once the call has answered, and plain text is on the next line.
    /// </summary>
    [Fact]
    public void Keys_typed_while_a_call_runs_reach_the_editor_ctrl_r_included()
    {
        var file = _home["typeahead.txt"];
        File.WriteAllText(file, "typed ahead\n");
        using var sleeper = Start("sleep", Random.Shared.Next(700000, 799999).ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            var run = Drive(_home.Path,
            [
                Prompt(),
                new($"file://{file}.read --format raw\r", "typed ahead", 15),             // a line in the history
                new($"proc://{sleeper.Id}.wait timeout=2500ms --format json\r", "\"verb\"", 0.6), // a call that takes 2.5 s
                new("\u0012typeah", "\"code\": ?\"timeout\"[\\s\\S]*reverse-i-search\\)`typeah': file://", 15),
                new("\r", "typed ahead", 15),                                             // Enter runs the match
                new($"proc://{sleeper.Id}.wait timeout=2s --format json\r", "\"verb\"", 0.6),
                new("system://.upt", "\"code\": ?\"timeout\"[\\s\\S]*resh> system://\\.upt", 15), // plain typeahead
                new("\u0015\u0004", null, 1),
            ], "shell");
            Assert.True(run.Steps[3].Matched, run.Transcript);
            Assert.True(run.Steps[4].Matched, run.Transcript);
            Assert.True(run.Steps[6].Matched, run.Transcript);
        }
        finally
        {
            try { sleeper.Kill(); sleeper.WaitForExit(2000); } catch (InvalidOperationException) { }
        }
    }

    static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }
}
