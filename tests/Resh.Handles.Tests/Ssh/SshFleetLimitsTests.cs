using System.Diagnostics;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>
/// A fleet call under small limits on open files (issue 21, "the SSH path at a hundred hosts"): each ssh child
/// holds three pipes, so twenty at once need more than the soft limit of 64 some systems hand out. resh raises
/// its soft limit to the hard one at start; under a hard limit that is still too small, hosts wait for a slot
/// instead of failing, and when nothing can free one the error says what ran out (never "install OpenSSH").
/// </summary>
[Collection("ssh")]
public sealed class SshFleetLimitsTests(SshBackend ssh)
{
    /// <summary>resh under <c>ulimit <paramref name="limits"/></c> set by a shell that then execs it (argv, no string is parsed but the limits).</summary>
    ReshRun RunLimited(string limits, string stateDir, params string[] args)
    {
        var psi = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"ulimit {limits} && exec \"$0\" \"$@\"");
        psi.ArgumentList.Add(ReshBinary.Path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in ssh.Env(stateDir)) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(240)))
        {
            p.Kill(true);
            throw new TimeoutException($"resh {string.Join(' ', args)} under ulimit {limits} did not finish.");
        }
        var stdout = output.Result;
        return new ReshRun(p.ExitCode, stdout, err.Result, Encoding.UTF8.GetBytes(stdout));
    }

    static void AllHostsAnswered(ReshRun run, int hosts)
    {
        Assert.DoesNotContain("OpenSSH client", run.Stdout);
        Assert.DoesNotContain("Too many open files", run.Stdout);
        Assert.True(run.Ok, run.ToString());
        var summary = run.Result!["summary"]!;
        Assert.Equal(hosts, summary["ok"]!.GetValue<int>());
        var answered = run.Result!["hosts"]!.AsArray();
        for (int i = 0; i < hosts; i++) Assert.Equal($"reshf{i + 1}", answered[i]!["result"]!["hostname"]!.GetValue<string>());
    }

    [Fact]
    public void Under_a_soft_limit_of_64_open_files_every_host_of_the_fleet_answers()
    {
        // New connections (a fresh state dir: twenty ssh clients with their ControlMasters at once), as in the
        // issue, where 76 of 100 hosts failed with a raw "Too many open files".
        var run = RunLimited("-Sn 64", ssh.NewStateDir(), "--forks", "20", "ssh://@fleet/system://.hostname");
        AllHostsAnswered(run, SshBackend.Hosts);
    }

    // Known gap (s36): with the build of 89cc782, under a hard limit of 30 (and of 64) 16-20 of 20 hosts still failed
    // with EMFILE while no child of resh ran (children_running 0): /proc showed pipes held by resh alone. Process.Dispose
    // leaves the pipes a caller touched open until the GC finalizes them; ChildProcess, ProcessRunner and ControlKey
    // now close them (the commit after b7ce4c6), not yet run in a native build: un-skip this test with the next one.
    [Fact]
    public void Under_a_low_hard_limit_hosts_wait_for_a_slot_instead_of_failing()
    {
        // Three hosts lack the build, so their first contact also runs the upload's ssh under the limit.
        foreach (var h in new[] { "reshf1", "reshf2", "reshf3" })
        {
            var cache = Path.Combine(ssh.Dir, "fleet-cache", h, "resh");
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
        // 30 open files at most, soft and hard: room for a few ssh children at a time, not twenty.
        var run = RunLimited("-n 30", ssh.NewStateDir(), "--forks", "20", "ssh://@fleet/system://.hostname");
        AllHostsAnswered(run, SshBackend.Hosts);
    }

    [Fact]
    public void When_no_slot_can_free_the_error_says_file_descriptors_ran_out()
    {
        // So few open files that not even one ssh child's pipes fit, and no child of resh runs to free any.
        var run = RunLimited($"-n {NoRoomLimit}", ssh.NewStateDir(), "ssh://reshf1/system://.hostname");
        Assert.Equal(7, run.ExitCode);
        var error = run.Envelope["error"]!;
        Assert.Equal("unavailable", error["code"]!.GetValue<string>());
        Assert.Contains("ran out of file descriptors", error["message"]!.GetValue<string>());
        Assert.Contains("EMFILE", error["message"]!.GetValue<string>());
        Assert.DoesNotContain("OpenSSH", run.Stdout);
        Assert.Contains("ulimit -Hn", error["hint"]!.GetValue<string>());
        Assert.Equal(24, error["details"]!["errno"]!.GetValue<int>());
    }

    /// <summary>A limit on open files with room for resh itself but not for an ssh child's pipes.</summary>
    const int NoRoomLimit = 11;

    [Fact]
    public void First_contact_on_a_terminal_shows_the_upload_progress_and_a_host_that_has_the_build_gets_none()
    {
        foreach (var h in new[] { "reshf4", "reshf5" })
        {
            var cache = Path.Combine(ssh.Dir, "fleet-cache", h, "resh");
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
        var env = string.Join(' ', ssh.Env(ssh.NewStateDir()).Select(kv => $"{kv.Key}='{kv.Value}'"));
        // script(1) gives resh a pseudo-terminal, as an operator's shell would.
        var (code, output, _) = SshBackend.Run(["script", "-qec", $"env {env} {ReshBinary.Path} --format json 'ssh://reshf[4:5]/system://.hostname'", "/dev/null"],
            TimeSpan.FromSeconds(180), check: false);
        Assert.True(code == 0, output);
        Assert.Contains("resh first contact: uploading the build [", output);
        Assert.Contains("100%", output);
        Assert.Single(Directory.EnumerateFiles(Path.Combine(ssh.Dir, "fleet-cache", "reshf4", "resh"), "resh", SearchOption.AllDirectories));

        // The same hosts from a new state dir (no connection checked yet): the build is there, so nothing is sent.
        env = string.Join(' ', ssh.Env(ssh.NewStateDir()).Select(kv => $"{kv.Key}='{kv.Value}'"));
        (code, output, _) = SshBackend.Run(["script", "-qec", $"env {env} {ReshBinary.Path} --format json 'ssh://reshf[4:5]/system://.hostname'", "/dev/null"],
            TimeSpan.FromSeconds(180), check: false);
        Assert.True(code == 0, output);
        Assert.DoesNotContain("uploading the build", output);
    }

    [Fact]
    public void A_host_with_zstd_gets_the_build_zstd_compressed_and_checked()
    {
        var cache = Path.Combine(ssh.Dir, "fleet-cache", "reshf6", "resh");
        if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        var run = ssh.RunIn(ssh.NewStateDir(), "--verbose", "ssh://reshf6/system://.hostname");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("reshf6", run.Result!["hostname"]!.GetValue<string>());
        Assert.Contains("the build zstd-compressed", run.Stderr);
        // What landed on the host is this very build, byte for byte (the host checked its SHA-256 before the rename).
        var landed = Assert.Single(Directory.EnumerateFiles(cache, "resh", SearchOption.AllDirectories));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(ReshBinary.Path)), System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(landed)));
    }
}
