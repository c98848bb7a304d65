using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>help, handles, schema, completion, docs and version are generated from the declarations.</summary>
public sealed class IntrospectionTests
{
    [Fact]
    public void Handles_lists_file_and_system_but_not_the_meta_handle()
    {
        var run = ReshBinary.Run("handles", "--format", "json");
        var schemes = run.Result!["handles"]!.AsArray().Select(h => h!["scheme"]!.GetValue<string>()).ToList();
        Assert.Contains("file", schemes);
        Assert.Contains("system", schemes);
        Assert.DoesNotContain("resh", schemes);
        Assert.Equal(schemes.OrderBy(s => s, StringComparer.Ordinal), schemes);
    }

    [Fact]
    public void Help_without_topic_is_human_text_even_when_piped()
    {
        var run = ReshBinary.Run("help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage:", run.Stdout);
        Assert.Contains("file://", run.Stdout);
        Assert.Contains("--dry-run", run.Stdout);
    }

    [Fact]
    public void Help_for_a_verb_shows_its_arguments_and_result_fields()
    {
        var run = ReshBinary.Run("help", "file.read");
        Assert.Contains("encoding <enum>", run.Stdout);
        Assert.Contains("Result fields:", run.Stdout);
        Assert.Contains("content", run.Stdout);
    }

    [Fact]
    public void Help_flag_on_a_stage_shows_that_verbs_help()
    {
        var run = ReshBinary.Run("file:///etc/hosts.read", "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("file.read", run.Stdout);
    }

    [Fact]
    public void Help_for_an_unknown_topic_is_not_found_with_a_hint()
    {
        var run = ReshBinary.Run("help", "fiel", "--format", "json");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("file", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void List_schemas_covers_every_verb_of_every_handle()
    {
        var all = ReshBinary.Run("--list-schemas");
        var help = ReshBinary.Run("handles", "--format", "json");
        var names = all.Result!["schemas"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).ToHashSet();
        Assert.Contains("file.read", names);
        Assert.Contains("system.hostname", names);
        Assert.All(all.Result!["schemas"]!.AsArray(), s => Assert.Equal("object", s!["result"]!["type"]!.GetValue<string>()));
        var verbCount = help.Result!["handles"]!.AsArray().Sum(h => h!["verbs"]!.GetValue<int>());
        Assert.Equal(verbCount, names.Count);
    }

    [Fact]
    public void Schema_of_an_unknown_verb_is_not_found_with_a_hint()
    {
        var run = ReshBinary.Run("schema", "file.raed");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("file.read", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("bash", "complete -o nospace")]
    [InlineData("zsh", "compdef _resh resh")]
    [InlineData("fish", "complete -c resh")]
    public void Completion_scripts_are_printed_raw(string shell, string marker)
    {
        var run = ReshBinary.Run("completion", shell);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(marker, run.Stdout);
        Assert.DoesNotContain("\"ok\"", run.Stdout);
    }

    [Fact]
    public void Completion_of_an_unknown_shell_is_usage()
    {
        Assert.Equal(2, ReshBinary.Run("completion", "tcsh").ExitCode);
    }

    [Theory]
    [InlineData("resh fi", "file://")]
    [InlineData("resh file:///etc/hosts.r", "file:///etc/hosts.read")]
    [InlineData("resh file:///etc/hosts ", "read")]
    [InlineData("resh file:///etc/hosts.read enc", "encoding=")]
    [InlineData("resh file:///etc/hosts.read encoding=b", "encoding=base64")]
    [InlineData("resh file:///etc/hosts.read --max", "--max-size")]
    [InlineData("resh --form", "--format")]
    [InlineData("resh --format js", "json")]
    [InlineData("resh help fi", "file.read")]
    [InlineData("resh file:///et", "file:///etc/")]
    // In a pipeline: the stage under the cursor (s40 D9), and inside a stage's parentheses.
    [InlineData("resh proc://.list | wh", "where")]
    [InlineData("resh proc://.list | ", "proc://")]
    [InlineData("resh proc://.list | where na", "name")]
    [InlineData("resh proc://.list | where name == x | sort -rs", "-rss_bytes")]
    [InlineData("resh proc://.list | select pid | sort p", "pid")]
    [InlineData("resh proc://.list | proc://{pi", "proc://{pid}")]
    [InlineData("resh proc://.list | proc://{pid}.ki", "proc://{pid}.kill")]
    [InlineData("resh proc://.list | proc://{pid}.kill gr", "grace=")]
    [InlineData("resh 'proc://.list(ma", "proc://.list(match=")]
    [InlineData("resh proc://.list(limit=3,sort=c", "proc://.list(limit=3,sort=cpu")]
    public void Completion_candidates_come_from_the_declarations(string line, string expected)
    {
        var run = ReshBinary.Run("complete", "--line", line);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(expected, run.Stdout.Split('\n'));
    }

    [Theory]
    [InlineData("resh proc://.list | ", "match=")]                 // not the first stage's arguments after a pipe
    [InlineData("resh proc://.list | where na", "name=")]
    [InlineData("resh proc://.list | select pid | sort p", "ppid")] // select left only pid
    [InlineData("resh proc://.list(sort=cpu,so", "proc://.list(sort=cpu,sort=")]
    public void Completion_does_not_offer_what_does_not_fit_the_stage_under_the_cursor(string line, string unexpected)
    {
        var run = ReshBinary.Run("complete", "--line", line);
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(unexpected, run.Stdout.Split('\n'));
    }

    [Fact]
    public void Bash_completion_works_in_a_real_bash()
    {
        // Source the generated script in bash and ask it to complete a half-typed verb.
        var script = ReshBinary.Run("completion", "bash").Stdout;
        using var dir = new TempDir("compl");
        var scriptPath = dir.File("resh.bash", script);
        var binDir = Path.GetDirectoryName(ReshBinary.Path)!;
        var probe = $$"""
            export PATH="{{binDir}}:$PATH"
            source {{scriptPath}}
            COMP_LINE='resh file:///etc/hosts.re'; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(resh 'file:///etc/hosts.re'); COMP_CWORD=1
            _resh_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        var psi = new System.Diagnostics.ProcessStartInfo("bash", ["--norc", "-c", probe]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        // bash breaks words at ':', so the reply is what follows the last ':' of the typed word.
        Assert.Contains("///etc/hosts.read", output.Split('\n'));
    }

    [Fact]
    public void Man_pages_are_generated_for_resh_and_each_handle_and_render_with_man()
    {
        var overview = ReshBinary.Run("man");
        Assert.Equal(0, overview.ExitCode);
        Assert.StartsWith(".TH RESH 1", overview.Stdout);
        Assert.Contains(@"\fBfile://\fR", overview.Stdout);
        var page = ReshBinary.Run("man", "file");
        Assert.StartsWith(".TH RESH-FILE 1", page.Stdout);
        Assert.Contains(".SS read", page.Stdout);
        Assert.Contains(@"\fBencoding\fR=\fIenum\fR", page.Stdout);
        // man(1) renders it: the page is valid roff.
        var psi = new System.Diagnostics.ProcessStartInfo("man", ["-l", "-"]) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.Environment["MANPAGER"] = "cat";
        psi.Environment["COLUMNS"] = "100";
        using var man = System.Diagnostics.Process.Start(psi)!;
        man.StandardInput.Write(page.Stdout);
        man.StandardInput.Close();
        var rendered = man.StandardOutput.ReadToEnd();
        man.WaitForExit();
        Assert.Equal(0, man.ExitCode);
        Assert.Contains("RESH-FILE(1)", rendered);
        Assert.Contains("VERBS", rendered);
        Assert.Equal(3, ReshBinary.Run("man", "nosuch", "--format", "json").ExitCode);
    }

    [Fact]
    public void Version_names_a_native_build()
    {
        var run = ReshBinary.Run("version", "--format", "json");
        Assert.True(run.Result!["native_aot"]!.GetValue<bool>());
        Assert.Equal("linux-x64", run.Result!["rid"]!.GetValue<string>());
        var flag = ReshBinary.Run("--version", "--format", "json");
        Assert.Equal(run.Result!["version"]!.GetValue<string>(), flag.Result!["version"]!.GetValue<string>());
    }

    [Fact]
    public void Committed_handle_docs_match_what_the_declarations_generate()
    {
        using var dir = new TempDir("docs");
        var run = ReshBinary.Run("docs", $"out={dir.Path}");
        Assert.Equal(0, run.ExitCode);
        var docs = Path.Combine(ReshBinary.RepoRoot, "docs", "handles");
        foreach (var generated in Directory.GetFiles(dir.Path, "*.md"))
        {
            var committed = Path.Combine(docs, Path.GetFileName(generated));
            Assert.True(File.Exists(committed), $"docs/handles/{Path.GetFileName(generated)} is missing: run `./resh docs out=docs/handles`.");
            Assert.True(File.ReadAllText(generated) == File.ReadAllText(committed),
                $"docs/handles/{Path.GetFileName(generated)} is stale: run `./resh docs out=docs/handles` and commit it.");
        }
        Assert.Equal(Directory.GetFiles(dir.Path, "*.md").Select(Path.GetFileName).Order(),
            Directory.GetFiles(docs, "*.md").Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Docs_dry_run_writes_nothing()
    {
        using var dir = new TempDir("docsdry");
        var target = Path.Combine(dir.Path, "out");
        var run = ReshBinary.Run("--dry-run", "docs", $"out={target}");
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Changed);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void A_missing_config_file_named_on_the_command_line_is_usage()
    {
        var run = ReshBinary.Run("file:///etc/hosts.stat", "--config", "/no/such/config.toml");
        Assert.Equal(2, run.ExitCode);
    }
}
