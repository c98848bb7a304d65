using System.Diagnostics;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>
/// become through a real sudo, logged in as throwaway users (one allowed without a password, one with),
/// on the loopback sshd and on a fleet host. The fleet shares this machine's files, so effects are checked here.
/// </summary>
[Collection("ssh")]
public sealed class SshBecomeTests(SshBackend ssh)
{
    static uint Owner(string path) => uint.Parse(SshBackend.Run(["stat", "-c", "%u", path], TimeSpan.FromSeconds(10), check: true).Out.Trim());

    [Fact]
    public void A_remote_stage_with_become_writes_where_the_login_user_cannot()
    {
        var (nopw, _) = ssh.BecomeUsers;
        using var dir = new TempDir("become"); // root's, 0755: the login user may look but not write
        var target = Path.Combine(dir.Path, "root-only.txt");

        var denied = ssh.Run($"ssh://{nopw}@box/file://{target}.write(content=hello)");
        Assert.Equal("permission_denied", denied.ErrorCode);

        var run = ssh.Run($"ssh://{nopw}@box/file://{target}.write(content=hello)", "--become");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("hello", File.ReadAllText(target));
        Assert.Equal(0u, Owner(target));
    }

    [Fact]
    public void Exec_with_become_runs_as_root_or_the_named_user_on_a_fleet_host()
    {
        var (nopw, _) = ssh.BecomeUsers;
        string Out(ReshRun r) { Assert.True(r.Ok, r.ToString()); return r.Result!["stdout"]!.GetValue<string>(); }
        Assert.Equal($"{nopw}\n", Out(ssh.Run($"ssh://{nopw}@reshf4.exec(command=id -un)")));
        Assert.Equal("root\n", Out(ssh.Run($"ssh://{nopw}@reshf4.exec(command=id -un,become=true)")));
        Assert.Equal("nobody\n", Out(ssh.Run($"ssh://{nopw}@reshf4.exec(command=id -un,become=true,become_user=nobody)")));
        // The environment and the directory reach the command past sudo's environment reset.
        Assert.Equal("hi there /tmp\n", Out(ssh.Run($"ssh://{nopw}@reshf4.exec(shell=echo \"$GREETING\" $(pwd),cwd=/tmp,become=true)", "env=GREETING=hi there")));
        Assert.Equal("xyz", Out(ssh.RunWithStdin("xyz", $"ssh://{nopw}@box.exec(command=cat,become=true)", "stdin=@-")));
    }

    [Fact]
    public async Task A_become_password_from_the_inventory_gets_through_sudo_and_stays_out_of_every_command_line()
    {
        var (_, pw) = ssh.BecomeUsers;
        using var dir = new TempDir("becomepw");
        var inventory = dir.File("hosts.ini",
            $"pwbox ansible_host=127.0.0.1 ansible_port={ssh.Port} ansible_user={pw} ansible_become=true ansible_become_password={ssh.BecomePassword}\n" +
            $"nopwbox ansible_host=127.0.0.1 ansible_port={ssh.Port} ansible_user={pw} ansible_become=true\n");
        var seen = new List<string>();
        using var watcher = new CancellationTokenSource();
        var watch = Task.Run(() =>
        {
            while (!watcher.IsCancellationRequested)
            {
                foreach (var p in Directory.EnumerateDirectories("/proc"))
                {
                    try
                    {
                        var cmdline = File.ReadAllText(Path.Combine(p, "cmdline"));
                        if (cmdline.Contains(ssh.BecomePassword, StringComparison.Ordinal)) lock (seen) seen.Add(cmdline.Replace('\0', ' '));
                    }
                    catch (IOException) { }
                    catch (UnauthorizedAccessException) { }
                }
                Thread.Sleep(5);
            }
        });
        var exec = ssh.Run("--verbose", "ssh://pwbox.exec(command=id -un)", $"inventory={inventory}");
        var target = Path.Combine(dir.Path, "written-as-root.txt");
        var stage = ssh.Run("--verbose", $"ssh://pwbox/file://{target}.write(content=ok)", $"inventory={inventory}");
        watcher.Cancel();
        await watch;

        Assert.True(exec.Ok, exec.ToString());
        Assert.Equal("root\n", exec.Result!["stdout"]!.GetValue<string>());
        Assert.True(stage.Ok, stage.ToString());
        Assert.Equal(0u, Owner(target));
        Assert.Contains(stage.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("plain text", StringComparison.Ordinal));
        Assert.Empty(seen);
        Assert.DoesNotContain(ssh.BecomePassword, exec.Stdout + exec.Stderr + stage.Stdout + stage.Stderr);

        var refused = ssh.Run("ssh://nopwbox.exec(command=id -un)", $"inventory={inventory}");
        Assert.Equal("permission_denied", refused.ErrorCode);
        Assert.Equal("become", refused.Envelope["error"]!["details"]!["phase"]!.GetValue<string>());

        // The same host with the password as a secret-typed argument instead of the inventory.
        var env = ssh.Env();
        env["RESH_TEST_BECOME_PW"] = ssh.BecomePassword;
        var fromEnv = ReshBinary.Run(["ssh://nopwbox.exec(command=id -un)", $"inventory={inventory}", "--become-password", "env:RESH_TEST_BECOME_PW"], env: env);
        Assert.True(fromEnv.Ok, fromEnv.ToString());
        Assert.Equal("root\n", fromEnv.Result!["stdout"]!.GetValue<string>());
        Assert.Empty(fromEnv.Envelope["warnings"]!.AsArray());
    }

    [Fact]
    public void A_wrong_become_password_is_tried_once()
    {
        var (_, pw) = ssh.BecomeUsers;
        using var dir = new TempDir("becomewrong");
        var inventory = dir.File("hosts.ini",
            $"wrongbox ansible_host=127.0.0.1 ansible_port={ssh.Port} ansible_user={pw} ansible_become=true ansible_become_password=not-{ssh.BecomePassword}\n");
        var run = ssh.Run("ssh://wrongbox.exec(command=id -un)", $"inventory={inventory}");
        Assert.Equal("permission_denied", run.ErrorCode);
        var reason = run.Envelope["error"]!["details"]!["reason"]!.GetValue<string>();
        Assert.Contains("1 incorrect password attempt", reason);
    }

    [Fact]
    public void A_remote_stage_becomes_root_only()
    {
        var (nopw, _) = ssh.BecomeUsers;
        var run = ssh.Run($"ssh://{nopw}@box/system://.hostname", "--become", "become_user=nobody");
        Assert.Equal("unsupported", run.ErrorCode);
    }

    [Fact]
    public void Local_become_runs_resh_again_as_root_with_its_arguments()
    {
        var (nopw, pw) = ssh.BecomeUsers;
        using var dir = new TempDir("localbecome"); // root's, 0755
        var target = Path.Combine(dir.Path, "root.txt");

        Assert.Equal("permission_denied", AsUser(nopw, "from stdin", $"file://{target}.write", "content=@-").ErrorCode);
        var run = AsUser(nopw, "from stdin", "--become", $"file://{target}.write", "content=@-");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("from stdin", File.ReadAllText(target));
        Assert.Equal(0u, Owner(target));

        var refused = AsUser(pw, "", "--become", $"file://{target}.write", "content=x");
        Assert.Equal("permission_denied", refused.ErrorCode);
        Assert.Equal("become", refused.Envelope["error"]!["details"]!["phase"]!.GetValue<string>());
        Assert.Equal("from stdin", File.ReadAllText(target));

        var withPassword = AsUser(pw, "", "--become", "--become-password", "env:RESH_TEST_BECOME_PW", $"file://{target}.write", "content=again");
        Assert.True(withPassword.Ok, withPassword.ToString());
        Assert.Equal("again", File.ReadAllText(target));
    }

    string BecomePasswordOf => ssh.BecomePassword;

    /// <summary>The native resh run as a throwaway user (setpriv), with stdin.</summary>
    ReshRun AsUser(string user, string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { $"--reuid={user}", $"--regid={user}", "--init-groups", "--", ReshBinary.Path }.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = $"/tmp/{user}";
        psi.Environment["RESH_TEST_BECOME_PW"] = BecomePasswordOf;
        psi.Environment.Remove("RESH_CONFIG");
        psi.Environment.Remove("RESH_HOME");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)));
        return new ReshRun(p.ExitCode, output.Result, error.Result, Encoding.UTF8.GetBytes(output.Result));
    }
}
