using Xunit;

namespace Resh.Handles.Tests.Ssh;

[Collection("ssh")]
public sealed class SshExecTests(SshBackend ssh)
{
    [Fact]
    public void A_command_line_is_split_into_words_and_run_without_a_shell()
    {
        var run = ssh.Run("ssh://box.exec(command=printf '%s|' 'a b' $HOME *)");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("a b|$HOME|*|", run.Result!["stdout"]!.GetValue<string>());
        Assert.Equal(0, run.Result!["exit_code"]!.GetValue<int>());
        Assert.True(run.Changed);
    }

    [Fact]
    public void Hostile_words_reach_the_program_exactly()
    {
        string[] words = ["it's", "\"quoted\"", "$(touch PWNED)", "`id`", "a;b&&c||d", "new\nline", "back\\slash", "'", "", "-n", "*"];
        var run = ssh.Run(["ssh://box", "exec", "--", "printf", "[%s]", .. words]);
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(string.Concat(words.Select(w => $"[{w}]")), run.Result!["stdout"]!.GetValue<string>());
    }

    [Fact]
    public void A_shell_line_is_run_by_sh_only_when_asked()
    {
        var run = ssh.Run("ssh://box.exec(shell=echo one two | wc -w)");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("2", run.Result!["stdout"]!.GetValue<string>().Trim());
    }

    [Fact]
    public void A_non_zero_exit_is_failed_with_its_output_in_details()
    {
        var run = ssh.Run("ssh://box.exec(shell=echo out; echo err >&2; exit 3)");
        Assert.Equal("failed", run.ErrorCode);
        var details = run.Envelope["error"]!["details"]!;
        Assert.Equal(3, details["exit_code"]!.GetValue<int>());
        Assert.Equal("out\n", details["stdout"]!.GetValue<string>());
        Assert.Equal("err\n", details["stderr"]!.GetValue<string>());
    }

    [Fact]
    public void Check_false_reports_any_exit_status_as_success()
    {
        var run = ssh.Run("ssh://box.exec(shell=exit 3,check=false)");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(3, run.Result!["exit_code"]!.GetValue<int>());
    }

    [Fact]
    public void A_missing_program_is_not_found()
    {
        Assert.Equal("not_found", ssh.Run("ssh://box.exec(command=resh-no-such-program)").ErrorCode);
    }

    [Fact]
    public void Env_cwd_and_stdin_reach_the_command()
    {
        using var dir = new Resh.TestSupport.TempDir("sshexec");
        var run = ssh.RunWithStdin("from stdin", $"ssh://box.exec(shell=echo \"$GREETING $(pwd)\"; cat,cwd={dir.Path})", "env=GREETING=hello it's me", "stdin=@-");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal($"hello it's me {dir.Path}\nfrom stdin", run.Result!["stdout"]!.GetValue<string>());
    }

    [Fact]
    public void A_missing_cwd_is_not_found()
    {
        Assert.Equal("not_found", ssh.Run("ssh://box.exec(command=pwd,cwd=/nonexistent/resh)").ErrorCode);
    }

    [Fact]
    public void Output_beyond_max_output_is_cut_and_flagged()
    {
        var run = ssh.Run("ssh://box.exec(shell=head -c 5000 /dev/zero | tr '\\\\0' x,max_output=100)");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(100, run.Result!["stdout"]!.GetValue<string>().Length);
        Assert.True(run.Result!["stdout_truncated"]!.GetValue<bool>());
    }

    [Fact]
    public void A_command_past_its_timeout_is_stopped()
    {
        var run = ssh.Run("ssh://box.exec(command=sleep 20,timeout=1s)");
        Assert.Equal("timeout", run.ErrorCode);
    }

    [Fact]
    public void Dry_run_runs_nothing()
    {
        using var dir = new Resh.TestSupport.TempDir("sshdry");
        var marker = Path.Combine(dir.Path, "ran");
        var run = ssh.Run("--dry-run", $"ssh://box.exec(command=touch {marker})");
        Assert.True(run.Ok, run.ToString());
        Assert.True(run.Changed);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Exec_needs_exactly_one_command_form()
    {
        Assert.Equal("usage", ssh.Run("ssh://box.exec").ErrorCode);
        Assert.Equal("usage", ssh.Run("ssh://box.exec(command=ls,shell=ls)").ErrorCode);
    }
}
