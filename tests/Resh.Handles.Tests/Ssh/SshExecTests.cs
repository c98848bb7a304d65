using System.Diagnostics;
using Resh.TestSupport;
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
    public void Raw_output_passes_non_utf8_bytes_through_unchanged()
    {
        var run = ssh.Run(["ssh://box", "exec", "--format", "raw", "--", "printf", "a\\377b\\n"]);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(new byte[] { (byte)'a', 0xff, (byte)'b', (byte)'\n' }, run.StdoutBytes);
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

    [Fact]
    public async Task Environment_values_and_words_never_reach_a_command_line_or_the_verbose_log()
    {
        var canary = "canary-" + Guid.NewGuid().ToString("N")[..12];
        var seen = new List<string>();
        using var watcher = new CancellationTokenSource();
        // Every process on this machine (the box host shares it): ssh here, sshd, the remote shell, the command.
        var watch = Task.Run(() =>
        {
            while (!watcher.IsCancellationRequested)
            {
                foreach (var dir in Directory.EnumerateDirectories("/proc"))
                {
                    try
                    {
                        var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                        if (cmdline.Contains(canary, StringComparison.Ordinal)) lock (seen) seen.Add(cmdline);
                    }
                    catch (IOException) { }
                    catch (UnauthorizedAccessException) { }
                }
                Thread.Sleep(10);
            }
        });
        var run = ReshBinary.Run(["--verbose", "ssh://box.exec(shell=sleep 1; printf %s \"$CANARY_VALUE\")", "--args", "-"],
            $"{{\"env\":[\"CANARY_VALUE={canary}\"]}}", env: ssh.Env(), wait: TimeSpan.FromSeconds(60));
        watcher.Cancel();
        await watch;
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(canary, run.Result!["stdout"]!.GetValue<string>());
        Assert.Empty(seen);
        Assert.DoesNotContain(canary, run.Stderr);
    }

    [Fact]
    public async Task Interrupting_exec_stops_the_remote_command_too()
    {
        var marker = $"47.{Random.Shared.Next(100, 999)}";
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add($"ssh://box.exec(command=sleep {marker})");
        foreach (var (k, v) in ssh.Env()) psi.Environment[k] = v;
        using var resh = Process.Start(psi)!;
        var stdout = resh.StandardOutput.ReadToEndAsync();
        _ = resh.StandardError.ReadToEndAsync();
        try
        {
            WaitFor(() => RemoteSleep(marker) is not null, "the remote sleep to start");
            Assert.Equal(0, SshBackend.Run(["kill", "-TERM", resh.Id.ToString()], TimeSpan.FromSeconds(5), check: false).Code);
            Assert.True(resh.WaitForExit(TimeSpan.FromSeconds(15)));
            Assert.Equal(130, resh.ExitCode);
            Assert.Contains("\"interrupted\"", await stdout);
            WaitFor(() => RemoteSleep(marker) is null, "the remote sleep to be stopped");
        }
        finally
        {
            if (!resh.HasExited) resh.Kill(true);
            if (RemoteSleep(marker) is { } pid) SshBackend.Run(["kill", "-KILL", pid], TimeSpan.FromSeconds(5), check: false);
        }
    }

    [Fact]
    public void Secret_env_reaches_the_command_and_is_masked_in_the_envelope()
    {
        var token = "tok-" + Guid.NewGuid().ToString("N")[..16];
        var env = ssh.Env();
        env["RESH_TEST_EXEC_TOKEN"] = token;
        var run = ReshBinary.Run(["--verbose", "ssh://box.exec(shell=printf %s \"$API_TOKEN\" > \"$OUT\"; printf %s \"$API_TOKEN\")",
            "secret_env=API_TOKEN=env:RESH_TEST_EXEC_TOKEN", $"env=OUT={Path.Combine(Path.GetTempPath(), "resh-exec-" + token[4..])}"], env: env);
        var written = Path.Combine(Path.GetTempPath(), "resh-exec-" + token[4..]);
        try
        {
            Assert.True(run.Ok, run.ToString());
            Assert.Equal(token, File.ReadAllText(written)); // the command got it
            Assert.Equal("***", run.Result!["stdout"]!.GetValue<string>()); // the envelope masks it
            Assert.DoesNotContain(token, run.Stdout + run.Stderr);
        }
        finally { File.Delete(written); }

        var literal = ssh.Run("ssh://box.exec(shell=printf %s \"$DB_PASSWORD\")", "env=DB_PASSWORD=literal-pw-1234");
        Assert.True(literal.Ok, literal.ToString());
        Assert.Contains(literal.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("DB_PASSWORD", StringComparison.Ordinal));
        Assert.DoesNotContain("literal-pw-1234", literal.Stdout);
    }

    [Fact]
    public void Secret_env_is_masked_in_raw_output_too()
    {
        var token = "rawtok-" + Guid.NewGuid().ToString("N")[..16];
        var env = ssh.Env();
        env["RESH_TEST_EXEC_TOKEN"] = token;
        var run = ReshBinary.Run(["--format", "raw", "ssh://box.exec(shell=printf 'value=%s' \"$API_TOKEN\")", "secret_env=API_TOKEN=env:RESH_TEST_EXEC_TOKEN"], env: env);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("value=***", run.Stdout);
        Assert.DoesNotContain(token, run.Stdout + run.Stderr);
    }

    /// <summary>The PID of a process whose argv is exactly `sleep MARKER` (the remote command; box shares this machine).</summary>
    static string? RemoteSleep(string marker)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")) == $"sleep\0{marker}\0") return Path.GetFileName(dir);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }

    static void WaitFor(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"Timed out waiting for {what}.");
            Thread.Sleep(50);
        }
    }
}
