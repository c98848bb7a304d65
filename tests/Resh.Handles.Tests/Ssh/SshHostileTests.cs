using System.Diagnostics;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>
/// ssh:// against hosts and local users that lie or set traps: a forged download listing (a forced command on a
/// key of its own, on the real loopback sshd), file names with line breaks, a control dir made by someone else.
/// </summary>
[Collection("ssh")]
public sealed class SshHostileTests(SshBackend ssh)
{
    /// <summary>
    /// A host alias "liar" on the loopback sshd whose key runs a forced command: sftp and ordinary commands run
    /// honestly, a download listing is replaced by the records in DIR/payload.* (newline- or NUL-separated, for
    /// whichever listing the resh under test asks for).
    /// </summary>
    sealed class Liar : IDisposable
    {
        readonly string _authorized;
        readonly string _line;

        public Liar(SshBackend ssh, TempDir dir)
        {
            Dir = dir.Path;
            var key = dir["liar_key"];
            SshBackend.Run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "resh-liar", "-f", key], TimeSpan.FromSeconds(30), check: true);
            var script = dir.File("liar.sh", $"""
                #!/bin/bash
                case "$SSH_ORIGINAL_COMMAND" in internal-sftp|*sftp-server*|sftp) exec /usr/lib/openssh/sftp-server ;; esac
                case "$SSH_ORIGINAL_COMMAND" in *"resh-bomb"*) head -c 3000000 /dev/zero | tr '\0' a; exit 0 ;; esac
                case "$SSH_ORIGINAL_COMMAND" in *"read -r __s"*) ;; *) exec /bin/sh -c "$SSH_ORIGINAL_COMMAND" ;; esac
                IFS= read -r s || exit 96
                case "$s" in
                  *"-mindepth 1"*) case "$s" in *"printf 'D"*) cat {Dir}/payload.nul ;; *) cat {Dir}/payload.nl ;; esac; exit 0 ;;
                esac
                __nl='
                '
                eval "$s"
                """);
            File.SetUnixFileMode(script, (UnixFileMode)Convert.ToInt32("755", 8));
            _line = $"command=\"{script}\" {File.ReadAllText(key + ".pub").Trim()}";
            _authorized = Path.Combine(ssh.Dir, "authorized_keys");
            File.WriteAllText(_authorized, _line + "\n" + File.ReadAllText(_authorized));
            var config = dir["ssh_config"];
            File.WriteAllText(config, $"Host liar\n  HostName 127.0.0.1\n  Port {ssh.Port}\n  IdentityFile {key}\n  IdentitiesOnly yes\n\n" +
                                      File.ReadAllText(Path.Combine(ssh.Dir, "ssh_config")));
            ConfigFile = dir["resh.toml"];
            File.WriteAllText(ConfigFile, $"[ssh]\nconfig = \"{config}\"\nconnect_timeout = \"3s\"\nmax_answer_line = 1048576\n");
        }

        public string Dir { get; }
        public string ConfigFile { get; }

        public void Forge(params string[] records)
        {
            File.WriteAllText(Path.Combine(Dir, "payload.nl"), string.Join("\n", records) + "\n");
            File.WriteAllText(Path.Combine(Dir, "payload.nul"), string.Join("\0", records) + "\0");
        }

        public void Dispose() => File.WriteAllText(_authorized, File.ReadAllText(_authorized).Replace(_line + "\n", ""));
    }

    [Fact]
    public void A_forged_download_listing_cannot_make_resh_write_outside_dest()
    {
        using var dir = new TempDir("sshliar");
        using var liar = new Liar(ssh, dir);
        var env = ssh.Env(ssh.NewStateDir()); // its own ControlMaster: "liar" and "box" are the same address, port and user
        env["RESH_CONFIG"] = liar.ConfigFile;
        var src = dir["r/src"];
        var dest = dir["dest"];
        Directory.CreateDirectory(src);
        foreach (var (outside, named) in new[] { (dir["outside-abs"], dir["outside-abs"]), (dir["dest-escape"], "../dest-escape") })
        {
            // The forged file exists on the "host" (same file system) so that a vulnerable resh would fetch it.
            var payload = dir.File(Path.GetFullPath(src + "/" + named + "/pwned")[(dir.Path.Length + 1)..], "#!/bin/sh\necho owned\n");
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(payload)));
            liar.Forge("D", $"d 777 {named}", $"f 4755 {new FileInfo(payload).Length} 0 {named}/pwned", "H", $"{hash}  ./{named}/pwned");

            var run = ReshBinary.Run([$"ssh://liar.download(src={src},dest={dest})"], env: env, wait: TimeSpan.FromSeconds(120));
            Assert.False(run.Ok, run.ToString());
            Assert.Equal("failed", run.ErrorCode);
            Assert.False(Directory.Exists(outside), $"{outside} was created: {run}");
        }
        Assert.Empty(Directory.Exists(dest) ? Directory.GetFileSystemEntries(dest, "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public void A_remote_answer_without_a_newline_is_cut_off_at_the_configured_line_limit()
    {
        using var dir = new TempDir("sshbomb");
        using var liar = new Liar(ssh, dir);
        var env = ssh.Env(ssh.NewStateDir()); // its own ControlMaster: "liar" and "box" are the same address, port and user
        env["RESH_CONFIG"] = liar.ConfigFile;
        var run = ReshBinary.Run(["ssh://liar/file:///nonexistent/resh-bomb.read"], env: env, wait: TimeSpan.FromSeconds(120));
        Assert.False(run.Ok, run.ToString());
        Assert.Equal("failed", run.ErrorCode);
        Assert.Equal("answer", run.Envelope["error"]!["details"]!["phase"]!.GetValue<string>());
        Assert.Equal(1048576, run.Envelope["error"]!["details"]!["limit"]!.GetValue<long>());
    }

    [Fact]
    public void Temporary_files_an_interrupted_run_left_in_the_state_dir_are_swept()
    {
        var state = ssh.NewStateDir();
        var dir = Path.Combine(state, "ssh");
        Directory.CreateDirectory(dir);
        // What a SIGKILL or a full disk leaves: a half-written compressed build of a process that is gone, an old spill file.
        var build = Path.Combine(dir, "build-0123456789abcdef.gz.999999999.tmp");
        var spill = Path.Combine(dir, "raw-0123456789abcdef0123456789abcdef");
        File.WriteAllText(build, "partial");
        File.WriteAllText(spill, "secret payload");
        File.SetLastWriteTimeUtc(spill, DateTime.UtcNow.AddHours(-2));
        var run = ssh.RunIn(state, "ssh://box/file:///nonexistent/resh-sweep.read");
        Assert.Equal("not_found", run.ErrorCode);
        Assert.False(File.Exists(build), "the stale build temp is still there");
        Assert.False(File.Exists(spill), "the stale spill file is still there");
    }

    [Fact]
    public void Secret_env_sources_of_a_remote_stage_are_resolved_here_not_on_the_host()
    {
        using var dir = new TempDir("sshsecfwd");
        Directory.CreateDirectory(dir["img/var/spool/cron/crontabs"]);
        var token = "fwd-" + Guid.NewGuid().ToString("N")[..16];
        var env = ssh.Env();
        env["RESH_T7_TOKEN"] = token; // only here: the host's resh (started by sshd) does not have it
        var run = ReshBinary.Run(["--verbose", $"ssh://box/cron://fwdjob.add(root={dir["img"]},schedule=@daily,secret_env=API_TOKEN=env:RESH_T7_TOKEN)",
            "command:=[\"/bin/true\"]"], env: env, wait: TimeSpan.FromSeconds(120));
        Assert.True(run.Ok, run.ToString());
        Assert.DoesNotContain(token, run.Stdout + run.Stderr);
        Assert.Contains($"export API_TOKEN='{token}'", File.ReadAllText(dir["img/etc/resh/cron/fwdjob.env"]));
    }

    [Fact]
    public void Secret_env_never_goes_on_a_command_line_beside_a_binary_argument()
    {
        using var dir = new TempDir("sshbinenv");
        var bin = Path.Combine(dir.Path, "blob.bin");
        File.WriteAllBytes(bin, [0xff, 0xfe, 0x00, 0x80, 0x81]);
        const string literal = "literal-s3cret-4471";
        var run = ssh.Run("--verbose", $"ssh://box/ssh://box.exec(command=cat,stdin=@{bin})", $"secret_env=T={literal}");
        Assert.Equal("unsupported", run.ErrorCode);
        Assert.DoesNotContain(literal, run.Stdout + run.Stderr);
    }

    [Fact]
    public void A_file_name_with_a_line_break_cannot_forge_a_listing_record()
    {
        using var dir = new TempDir("sshnl");
        var outside = dir["outside-nl"];
        // An honest host whose tree holds a directory named "x<LF>d 4777 OUTSIDE": line-based listings read it as two records.
        Directory.CreateDirectory(dir[$"src/x\nd 4777 {outside}"]);
        dir.File("src/ok.txt", "fine");
        var run = ssh.Run($"ssh://box.download(src={dir["src"]},dest={dir["dest"]})");
        Assert.False(Directory.Exists(outside), $"{outside} was created: {run}");
        Assert.False(run.Ok, run.ToString());
        Assert.Equal("failed", run.ErrorCode);
        Assert.Contains("line break", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void A_fallback_control_dir_made_by_another_user_is_refused()
    {
        // resh as nobody with a state dir too deep for a socket path: the fallback is /tmp/resh-ssh-65534,
        // which "another user" (root here) made first.
        const string fallback = "/tmp/resh-ssh-65534";
        using var dir = new TempDir("sshcm");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)Convert.ToInt32("777", 8));
        var state = Path.Combine(dir.Path, new string('s', 60), "state");
        Directory.CreateDirectory(state);
        SshBackend.Run(["chown", "-R", "65534:65534", Path.GetDirectoryName(state)!], TimeSpan.FromSeconds(10), check: true);
        var config = dir.File("resh.toml", $"[ssh]\nconfig = \"{dir["ssh_config"]}\"\nconnect_timeout = \"3s\"\n");
        dir.File("ssh_config", $"Host box\n  HostName 127.0.0.1\n  Port {ssh.Port}\n  BatchMode yes\n");
        if (Directory.Exists(fallback)) Directory.Delete(fallback, true);
        Directory.CreateDirectory(fallback, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var run = AsNobody(state, config, "ssh://box.exec(command=true)");
            Assert.Equal("permission_denied", run.ErrorCode);
            Assert.Contains("belongs to another user (uid 0)", run.Envelope["error"]!["message"]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(fallback, true);
        }
    }

    [Fact]
    public async Task Interrupting_a_remote_stage_stops_the_remote_resh_and_what_it_runs()
    {
        using var run = RemoteSleep.Start(ssh, "48");
        WaitFor(() => run.Remote() is not null, "the remote sleep to start");
        Assert.Equal(0, SshBackend.Run(["kill", "-TERM", run.Resh.Id.ToString()], TimeSpan.FromSeconds(5), check: false).Code);
        Assert.True(run.Resh.WaitForExit(TimeSpan.FromSeconds(15)));
        Assert.Contains("\"interrupted\"", await run.Stdout);
        WaitFor(() => run.Remote() is null, "the remote sleep to be stopped");
    }

    [Fact]
    public async Task A_remote_stage_whose_connection_dies_stops_the_remote_resh()
    {
        // The caller's ssh dies (SIGKILL: no chance to send a kill over a second channel). sshd closes the session's
        // pipes, but without a terminal nothing signals the remote command: the remote resh must notice that its
        // stdout has no reader left and stop its verb (here an exec on the next hop, stopped there by its own cancellation).
        using var run = RemoteSleep.Start(ssh, "49");
        WaitFor(() => run.Remote() is not null, "the remote sleep to start");
        var sshChild = ChildrenOf(run.Resh.Id).FirstOrDefault(pid => Comm(pid) == "ssh");
        Assert.NotNull(sshChild);
        Assert.Equal(0, SshBackend.Run(["kill", "-KILL", sshChild], TimeSpan.FromSeconds(5), check: false).Code);
        WaitFor(() => run.Remote() is null, "the remote sleep to stop");
        Assert.True(run.Resh.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("\"ok\":false", await run.Stdout);
    }

    /// <summary>
    /// `resh ssh://box/ssh://box.exec(command=sleep MARKER)` running as a child, with a marker no other test's sleep has;
    /// disposing kills whatever of it is left (the local resh and the remote sleep).
    /// </summary>
    sealed class RemoteSleep : IDisposable
    {
        readonly string _marker;
        public Process Resh { get; }
        public Task<string> Stdout { get; }

        RemoteSleep(Process resh, string marker)
        {
            Resh = resh;
            _marker = marker;
            Stdout = resh.StandardOutput.ReadToEndAsync();
            _ = resh.StandardError.ReadToEndAsync();
        }

        public static RemoteSleep Start(SshBackend ssh, string prefix)
        {
            var marker = $"{prefix}.{Random.Shared.Next(100, 999)}";
            var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            psi.ArgumentList.Add($"ssh://box/ssh://box.exec(command=sleep {marker})");
            foreach (var (k, v) in ssh.Env()) psi.Environment[k] = v;
            return new RemoteSleep(Process.Start(psi)!, marker);
        }

        /// <summary>The PID of the remote sleep, or null once it is gone.</summary>
        public string? Remote() => Sleeping(_marker);

        public void Dispose()
        {
            if (!Resh.HasExited) Resh.Kill(true);
            if (Remote() is { } pid) SshBackend.Run(["kill", "-KILL", pid], TimeSpan.FromSeconds(5), check: false);
            Resh.Dispose();
        }
    }

    static IEnumerable<string> ChildrenOf(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && fields[1] == parent.ToString()) yield return Path.GetFileName(dir);
        }
    }

    static string Comm(string pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return ""; }
    }

    static string? Sleeping(string marker)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try { if (File.ReadAllText(Path.Combine(dir, "cmdline")) == $"sleep\0{marker}\0") return Path.GetFileName(dir); }
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
            if (sw.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"Timed out waiting for {what}.");
            Thread.Sleep(50);
        }
    }

    static ReshRun AsNobody(string state, string config, params string[] args)
    {
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--", ReshBinary.Path }.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment["RESH_HOME"] = state;
        psi.Environment["RESH_CONFIG"] = config;
        psi.Environment["HOME"] = state;
        psi.Environment["SSH_AUTH_SOCK"] = "";
        psi.Environment.Remove("XDG_RUNTIME_DIR");
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)));
        return new ReshRun(p.ExitCode, output.Result, error.Result, Encoding.UTF8.GetBytes(output.Result));
    }
}
