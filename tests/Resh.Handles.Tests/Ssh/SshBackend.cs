using System.Diagnostics;
using System.Net.NetworkInformation;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>
/// The real backends of the ssh:// tests, started once per collection by tests/setup/ssh.sh: an sshd on
/// loopback (alias box), 20 sshd hosts in network namespaces on bridge reshfleet0 (reshf1..reshf20, each
/// with its own hostname and host key), and a host only reshf2 can reach (inner, via ProxyJump).
/// resh reads a private ssh_config through [ssh] config, so the user's ~/.ssh is never read or written.
/// Teardown closes every ControlMaster resh opened, then stops the sshd processes by PID and removes
/// the namespaces and the bridge, even when tests failed.
/// </summary>
public sealed class SshBackend : IDisposable
{
    public const int Hosts = 20;
    readonly List<string> _stateDirs = [];
    // The fleet's namespaces and bridge have fixed names: two suites on one machine (two clones, a helper's run)
    // would tear down each other's hosts. The second one waits for the first.
    readonly FileStream? _fleetLock = AcquireFleetLock();

    public SshBackend()
    {
        // Short: ControlMaster socket paths (state dir + 40-char hash + ssh's 17-char suffix) must fit in 107 bytes.
        Dir = Path.Combine("/tmp", $"rs{Guid.NewGuid():N}"[..8]);
        Port = FreePort();
        try
        {
            Script("up", Dir, Hosts.ToString(), Port.ToString());
            // Aliases for the failure cases, ahead of the generated entries (the first match wins in ssh_config).
            var loopKey = File.ReadAllText(Path.Combine(Dir, "host_loop.pub")).Split(' ');
            var otherKey = File.ReadAllText(Path.Combine(Dir, "host_reshf1.pub")).Split(' ');
            var extra = $"""
                Host ghost
                  HostName 10.251.0.99
                Host changed
                  HostName 127.0.0.2
                  Port {Port}
                  HostKeyAlias changedbox
                Host changed2
                  HostName 127.0.0.3
                  Port {Port}
                  HostKeyAlias changedbox2
                Host fresh
                  HostName 127.0.0.4
                  Port {Port}
                  HostKeyAlias freshbox
                Host newbox
                  HostName 127.0.0.5
                  Port {Port}
                  HostKeyAlias newbox
                Host samekey
                  HostName 127.0.0.1
                  Port {Port}
                  HostKeyAlias changedbox
                Host sameproxy
                  HostName 127.0.0.1
                  Port {Port}
                  ProxyCommand /bin/false
                Host armbox
                  HostName 127.0.0.7
                  Port {Port}
                  HostKeyAlias [127.0.0.1]:{Port}
                Host baduser
                  HostName 127.0.0.6
                  Port {Port}
                  User resh-no-such-user
                  HostKeyAlias [127.0.0.1]:{Port}

                """;
            var config = Path.Combine(Dir, "ssh_config");
            File.WriteAllText(config, extra + File.ReadAllText(config));
            File.AppendAllText(Path.Combine(Dir, "known_hosts"),
                $"changedbox {otherKey[0]} {otherKey[1]}\nchangedbox2 {otherKey[0]} {otherKey[1]}\n");
            LoopFingerprint = Fingerprint(loopKey[1]);
            File.WriteAllText(ConfigFile, $"""
                [ssh]
                config = "{config}"
                connect_timeout = "3s"

                [inventory]
                fleet = ["reshf[1:{Hosts}]"]
                web = ["reshf1", "reshf2"]
                db = {"{"} hosts = ["reshf3"], user = "root" {"}"}
                webdb = ["@web", "@db"]
                """);
            StateDir = NewStateDir();
            _stateDirs.Add(Path.Combine(Dir, "remote-state")); // where a resh running on a host keeps its ControlMasters
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Dir { get; }
    public int Port { get; }
    public string StateDir { get; } = "";
    public string ConfigFile => Path.Combine(Dir, "resh.toml");
    public string KnownHosts => Path.Combine(Dir, "known_hosts");
    public string Inventory => Path.Combine(Dir, "inventory.ini");
    public string RemoteCache => Path.Combine(Dir, "remote-cache");
    /// <summary>The build cache of armbox, the loopback sshd's 127.0.0.7, whose sessions' uname -m says aarch64.</summary>
    public string ArmCache => Path.Combine(Dir, "arm-cache");
    public string ClientPublicKey => File.ReadAllText(Path.Combine(Dir, "client_ed25519.pub")).Trim();
    public string LoopFingerprint { get; } = "";

    /// <summary>A fresh resh state dir (own ControlMaster sockets, own build-id cache), closed at teardown.</summary>
    public string NewStateDir()
    {
        var d = Path.Combine(Dir, $"s{_stateDirs.Count}");
        Directory.CreateDirectory(d);
        _stateDirs.Add(d);
        return d;
    }

    public IDictionary<string, string> Env(string? stateDir = null) => new Dictionary<string, string>
    {
        ["RESH_HOME"] = stateDir ?? StateDir,
        ["RESH_CONFIG"] = ConfigFile,
        ["SSH_AUTH_SOCK"] = "", // never the user's agent
    };

    public ReshRun Run(params string[] args) => ReshBinary.Run(args, env: Env(), wait: TimeSpan.FromSeconds(120));

    public ReshRun RunIn(string stateDir, params string[] args) => ReshBinary.Run(args, env: Env(stateDir), wait: TimeSpan.FromSeconds(120));

    public ReshRun RunWithStdin(string stdin, params string[] args) => ReshBinary.Run(args, stdin, env: Env(), wait: TimeSpan.FromSeconds(120));

    public static string Fingerprint(string base64) =>
        "SHA256:" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Convert.FromBase64String(base64))).TrimEnd('=');

    /// <summary>
    /// Two throwaway login users for the become tests, made on first use and removed at teardown (names
    /// unique per run): NoPassword may sudo anything without a password; Password needs its password,
    /// which <see cref="BecomePassword"/> holds. Their keys are in DIR/userkeys, their homes (and remote
    /// resh caches) in a private dir under /tmp.
    /// </summary>
    public (string NoPassword, string Password) BecomeUsers => _becomeUsers ??= MakeBecomeUsers();
    (string, string)? _becomeUsers;
    readonly List<string> _users = [];
    public string BecomePassword { get; } = "pw-" + Guid.NewGuid().ToString("N")[..16];

    (string, string) MakeBecomeUsers()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var nopw = $"rbn{suffix}";
        var pw = $"rbp{suffix}";
        foreach (var user in new[] { nopw, pw })
        {
            Run(["useradd", "-m", "-d", $"/tmp/{user}", "-s", "/bin/bash", user], TimeSpan.FromSeconds(30), check: true);
            _users.Add(user);
            var keys = Path.Combine(Dir, "userkeys", user);
            File.WriteAllText(keys, ClientPublicKey + "\n");
            Run(["chown", user, keys], TimeSpan.FromSeconds(10), check: true);
            File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        // sshd without PAM refuses locked accounts (useradd's "!"), even with a key: give both a password.
        RunWithInput(["chpasswd"], $"{nopw}:{Guid.NewGuid():N}\n{pw}:{BecomePassword}\n");
        // sudo ignores a world-writable include dir (and then every rule in it): say so rather than fail obscurely.
        if ((File.GetUnixFileMode("/etc/sudoers.d") & (UnixFileMode.OtherWrite | UnixFileMode.GroupWrite)) != 0)
            throw new InvalidOperationException("/etc/sudoers.d is group- or world-writable, so sudo ignores it; restore its mode (chmod 755 /etc/sudoers.d).");
        var sudoers = $"/etc/sudoers.d/{nopw}";
        File.WriteAllText(sudoers, $"{nopw} ALL=(ALL:ALL) NOPASSWD: ALL\n{pw} ALL=(ALL:ALL) ALL\n");
        File.SetUnixFileMode(sudoers, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        Run(["visudo", "-cf", sudoers], TimeSpan.FromSeconds(10), check: true);
        return (nopw, pw);
    }

    /// <summary>PIDs of the processes running as a user (by /proc, so only the throwaway users' own).</summary>
    static List<string> ProcessesOf(string user)
    {
        var uid = File.ReadAllLines("/etc/passwd").FirstOrDefault(l => l.StartsWith(user + ":", StringComparison.Ordinal))?.Split(':')[2];
        var pids = new List<string>();
        if (uid is null) return pids;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var line = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                if (line?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == uid) pids.Add(Path.GetFileName(dir));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return pids;
    }

    static void RunWithInput(string[] argv, string input)
    {
        var psi = new ProcessStartInfo(argv[0]) { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{argv[0]} failed: {err}");
    }

    public void Dispose()
    {
        // ControlPersist masters outlive resh: close each one resh opened, through its own socket.
        foreach (var state in _stateDirs)
        {
            var cm = Path.Combine(state, "ssh", "cm");
            if (!Directory.Exists(cm)) continue;
            foreach (var socket in Directory.GetFiles(cm))
                Run(["ssh", "-o", $"ControlPath={socket}", "-O", "exit", "closing"], TimeSpan.FromSeconds(10), check: false);
        }
        try { Script("down", Dir); } catch (InvalidOperationException) { }
        foreach (var user in _users)
        {
            try { File.Delete($"/etc/sudoers.d/{_users[0]}"); } catch (IOException) { }
            // Their sessions were children of the sshd processes stopped above; userdel refuses a user with processes.
            foreach (var pid in ProcessesOf(user)) Run(["kill", "-KILL", pid], TimeSpan.FromSeconds(10), check: false);
            Run(["userdel", "-r", "-f", user], TimeSpan.FromSeconds(30), check: false);
            try { Directory.Delete($"/tmp/{user}", true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _fleetLock?.Dispose();
    }

    /// <summary>An exclusive flock on /tmp/resh-ssh-fleet.lock (released when this process ends, however it ends), waited for up to 40 minutes.</summary>
    static FileStream AcquireFleetLock()
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try { return new FileStream("/tmp/resh-ssh-fleet.lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (sw.Elapsed < TimeSpan.FromMinutes(40)) { Thread.Sleep(1000); }
        }
    }

    static void Script(params string[] args)
    {
        var script = Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "ssh.sh");
        Run([script, .. args], TimeSpan.FromSeconds(120), check: true);
    }

    public static (int Code, string Out, string Err) Run(string[] argv, TimeSpan wait, bool check)
    {
        var psi = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(wait))
        {
            p.Kill(true);
            throw new InvalidOperationException($"{string.Join(' ', argv)} did not finish in {wait}.");
        }
        if (check && p.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', argv)} failed ({p.ExitCode}): {err.Result}");
        return (p.ExitCode, output.Result, err.Result);
    }

    static int FreePort()
    {
        var used = IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Select(e => e.Port).ToHashSet();
        for (int p = 24301; p < 24400; p++) if (!used.Contains(p)) return p;
        throw new InvalidOperationException("No free port in 24301-24399 for the test sshd.");
    }
}

[CollectionDefinition("ssh")]
public sealed class SshCollection : ICollectionFixture<SshBackend>;
