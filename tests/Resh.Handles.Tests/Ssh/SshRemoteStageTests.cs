using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

[Collection("ssh")]
public sealed class SshRemoteStageTests(SshBackend ssh)
{
    [Fact]
    public void A_remote_stage_answers_with_the_hosts_envelope_and_host_set()
    {
        var remote = ssh.Run("ssh://reshf4/system://.hostname");
        Assert.True(remote.Ok, remote.ToString());
        Assert.Equal(0, remote.ExitCode);
        var env = remote.Envelope;
        Assert.Equal("system", env["handle"]!.GetValue<string>());
        Assert.Equal("hostname", env["verb"]!.GetValue<string>());
        Assert.Equal("system://", env["target"]!.GetValue<string>());
        Assert.Equal("reshf4", env["host"]!.GetValue<string>());
        Assert.Equal("reshf4", remote.Result!["hostname"]!.GetValue<string>()); // it really ran in reshf4's UTS namespace

        // The same shape as a local run: the same fields, in the same order, and the same result fields.
        var local = ReshBinary.Run("system://.hostname").Envelope;
        Assert.Equal(local.Select(kv => kv.Key), env.Select(kv => kv.Key));
        Assert.Equal(((JsonObject)local["result"]!).Select(kv => kv.Key), ((JsonObject)env["result"]!).Select(kv => kv.Key));
    }

    [Fact]
    public void A_remote_file_read_in_raw_format_prints_its_bytes_unchanged()
    {
        using var dir = new TempDir("sshraw");
        var bytes = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7 % 256)).ToArray();
        var path = Path.Combine(dir.Path, "blob.bin");
        File.WriteAllBytes(path, bytes); // the fleet shares this machine's files, so the host reads it too

        var run = ssh.Run($"ssh://box/file://{path}.read", "--format", "raw");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(bytes, run.StdoutBytes);
    }

    [Fact]
    public void A_remote_failure_keeps_the_remote_error_code_and_exit_status()
    {
        var run = ssh.Run("ssh://box/file:///nonexistent/resh-ssh-test.read");
        Assert.False(run.Ok);
        Assert.Equal("not_found", run.ErrorCode);
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("box", run.Envelope["host"]!.GetValue<string>());
        Assert.Equal("file", run.Envelope["handle"]!.GetValue<string>());
    }

    [Fact]
    public void A_remote_failure_in_raw_format_keeps_its_code()
    {
        var run = ssh.Run("ssh://box/file:///nonexistent/resh-ssh-test.read", "--format", "raw");
        Assert.Equal(3, run.ExitCode);
        Assert.Empty(run.StdoutBytes);
    }

    [Fact]
    public void The_inner_verbs_arguments_are_checked_before_connecting()
    {
        var run = ssh.Run("ssh://ghost/file:///etc/hosts.read", "lenght=5");
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("length", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void An_unknown_inner_handle_is_a_usage_error()
    {
        Assert.Equal("usage", ssh.Run("ssh://box/nosuchscheme://x.read").ErrorCode);
    }

    [Fact]
    public void Inner_arguments_reach_the_remote_verb_including_from_stdin()
    {
        using var dir = new TempDir("sshargs");
        var path = dir.File("ten.txt", "0123456789");
        var run = ssh.RunWithStdin("auto\n", $"ssh://box/file://{path}.read(offset=2,length=3)", "encoding=@-");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("234", run.Result!["content"]!.GetValue<string>());
        Assert.Equal("text", run.Result!["encoding"]!.GetValue<string>());
    }

    [Fact]
    public void A_secret_argument_is_resolved_locally_and_reaches_the_host_on_stdin_never_argv()
    {
        using var dir = new TempDir("sshsec");
        var password = "canary-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(dir["a.txt"], "hello\n");
        var env = ssh.Env();
        env["ZIP_PASSWORD"] = password; // only the local resh has it: the remote one must be handed the value
        var create = ReshBinary.Run([$"archive://{dir["x.zip"]}.create(sources={dir["a.txt"]})", "password=env:ZIP_PASSWORD"], env: env);
        Assert.True(create.Ok, create.ToString());

        var remote = ReshBinary.Run([$"ssh://box/archive://{dir["x.zip"]}.extract(destination={dir["o"]})", "password=env:ZIP_PASSWORD", "--verbose"],
            env: env, wait: TimeSpan.FromSeconds(120));
        Assert.True(remote.Ok, remote.ToString());
        Assert.Equal("box", remote.Envelope["host"]!.GetValue<string>());
        Assert.Empty(remote.Envelope["warnings"]!.AsArray()); // the value travelled on stdin, not as a literal on a command line
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(dir["o"], "a.txt")));
        Assert.DoesNotContain(password, remote.Stdout + remote.Stderr);
    }

    [Fact]
    public void A_target_full_of_shell_metacharacters_reaches_the_host_intact()
    {
        using var dir = new TempDir("sshhostile");
        var name = "it's a \"$(touch PWNED)\" `id` ; x & y | z * ? \\ ~ {a,b} #(1)";
        var path = Path.Combine(dir.Path, name);
        File.WriteAllText(path, "hostile ok");
        var encoded = path.Replace("%", "%25").Replace("\n", "%0A");

        var run = ssh.Run($"ssh://box/file://{encoded}.read");

        Assert.True(run.Ok, run.ToString());
        Assert.Equal("hostile ok", run.Result!["content"]!.GetValue<string>());
        Assert.Equal(path, run.Result!["path"]!.GetValue<string>());
        Assert.False(File.Exists(Path.Combine(dir.Path, "PWNED")));
        Assert.False(File.Exists("PWNED"));
    }

    [Fact]
    public void The_build_is_copied_once_into_a_private_cache_and_reused()
    {
        var state = ssh.NewStateDir();
        Assert.True(ssh.RunIn(state, "ssh://box/system://.hostname").Ok);
        var build = Directory.GetDirectories(Path.Combine(ssh.RemoteCache, "resh")).Single();
        var binary = Path.Combine(build, "resh");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(binary));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(build));
        Assert.Equal(File.ReadAllBytes(ReshBinary.Path), File.ReadAllBytes(binary));
        var before = new FileInfo(binary).LastWriteTimeUtc;
        var inode = Inode(binary);

        Assert.True(ssh.RunIn(state, "ssh://reshf5/system://.hostname").Ok);
        Assert.Equal(inode, Inode(binary));
        Assert.Equal(before, new FileInfo(binary).LastWriteTimeUtc);
        Assert.Empty(Directory.GetFiles(build, "resh.tmp.*"));
    }

    [Fact]
    public void A_missing_build_is_uploaded_again()
    {
        var state = ssh.NewStateDir();
        Assert.True(ssh.RunIn(state, "ssh://box/system://.hostname").Ok);
        var build = Directory.GetDirectories(Path.Combine(ssh.RemoteCache, "resh")).Single();
        File.Delete(Path.Combine(build, "resh"));

        var run = ssh.RunIn(state, "ssh://box/system://.hostname");

        Assert.True(run.Ok, run.ToString());
        Assert.True(File.Exists(Path.Combine(build, "resh")));
    }

    [Fact]
    public void The_remote_resh_gets_dry_run()
    {
        // A verb with no effect proves the flag is carried: the remote envelope says dry_run.
        var run = ssh.Run("--dry-run", "ssh://box/system://.hostname");
        Assert.True(run.Ok, run.ToString());
        Assert.True(run.Envelope["dry_run"]!.GetValue<bool>());
    }

    [Fact]
    public void The_spaced_verb_form_works_remotely()
    {
        var run = ssh.Run("ssh://reshf6/system://", "hostname");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("reshf6", run.Result!["hostname"]!.GetValue<string>());
    }

    [Fact]
    public void ProxyJump_reaches_a_host_that_only_the_jump_host_can_see()
    {
        var run = ssh.Run("ssh://inner/system://.hostname");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("reshinner", run.Result!["hostname"]!.GetValue<string>());
        Assert.Equal("inner", run.Envelope["host"]!.GetValue<string>());
    }

    [Fact]
    public void A_user_and_port_in_the_target_override_the_ssh_config()
    {
        var run = ssh.Run($"ssh://root@127.0.0.1:{ssh.Port}/system://.hostname");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal($"127.0.0.1:{ssh.Port}", run.Envelope["host"]!.GetValue<string>());
    }

    [Fact]
    public void A_stopped_host_answers_unavailable_with_the_connect_phase()
    {
        var run = ssh.Run("ssh://root@127.0.0.1:24399/system://.hostname");
        Assert.Equal("unavailable", run.ErrorCode);
        Assert.Equal(7, run.ExitCode);
        Assert.Equal("connect", run.Envelope["error"]!["details"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public void A_rejected_login_is_permission_denied_with_the_auth_phase()
    {
        var run = ssh.Run("ssh://baduser/system://.hostname");
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Equal("auth", run.Envelope["error"]!["details"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public void A_global_timeout_stops_a_slow_remote_command()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = ssh.Run("--timeout", "2s", "ssh://box.exec(command=sleep 30)");
        Assert.Equal("timeout", run.ErrorCode);
        Assert.Equal(6, run.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "resh did not stop at --timeout");
    }

    [Fact]
    public void A_remote_proc_stage_describes_a_process_on_that_host()
    {
        // The netns fleet shares this machine's PID namespace, so the test process itself is visible there.
        var pid = Environment.ProcessId;
        var run = ssh.Run($"ssh://reshf7/proc://{pid}.info");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("proc", run.Envelope["handle"]!.GetValue<string>());
        Assert.Equal("info", run.Envelope["verb"]!.GetValue<string>());
        Assert.Equal("reshf7", run.Envelope["host"]!.GetValue<string>());
        Assert.Contains($"\"pid\":{pid}", run.Result!.ToJsonString());
    }

    [Fact]
    public void The_issue_call_system_uptime_runs_remotely()
    {
        var run = ssh.Run("ssh://box/system://.uptime");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("uptime", run.Envelope["verb"]!.GetValue<string>());
        Assert.True(run.Result!["seconds"]!.GetValue<double>() > 0);
    }

    [Fact]
    public void A_remote_follow_streams_for_the_whole_timeout_window()
    {
        using var dir = new TempDir("sshfollow");
        var path = dir.File("log.txt", "start\n");
        // First contact uploads resh to the host, inside the call's --timeout: run alone (a fresh build, no other test
        // before it), the upload took the whole window. The window under test is the follow's, so the host gets resh first.
        var warm = ssh.Run("ssh://box/system://.uptime");
        Assert.True(warm.Ok, warm.ToString());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = ssh.Run("--timeout", "4s", $"ssh://box/file://{path}.tail(follow=true)");
        var elapsed = clock.Elapsed;
        Assert.True(run.Ok, run.ToString()); // a follow ending at --timeout is a normal end
        // Before, the remote was handed a quarter less (its follow ended at 3 s of 4).
        Assert.True(run.Envelope["duration_ms"]!.GetValue<double>() >= 3700, run.ToString());
        Assert.True(elapsed < TimeSpan.FromSeconds(8), "resh did not end after --timeout");
    }

    static ulong Inode(string path)
    {
        var (code, output, _) = SshBackend.Run(["stat", "-c", "%i", path], TimeSpan.FromSeconds(10), check: true);
        Assert.Equal(0, code);
        return ulong.Parse(output.Trim());
    }
}
