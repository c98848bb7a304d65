using System.Diagnostics;
using System.Globalization;
using Resh.Handles.Tests.Svc;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Firewall;

/// <summary>
/// One pair of network namespaces per backend (tests/setup/fw-netns.sh), started once per run with a
/// per-run name: the firewall under test lives in the "server" namespace and a client namespace
/// connects to it over a veth pair, so rules are checked with real TCP connects. The host's own
/// ruleset is never touched.
/// </summary>
public sealed class FirewallLab : IDisposable
{
    public static readonly string[] Backends = ["nftables", "iptables", "ufw", "firewalld"];
    readonly TempDir _dir = new("reshfw");
    readonly Dictionary<string, (string Name, int Holder)> _ns = new();
    readonly string _run = Convert.ToHexString(Guid.NewGuid().ToByteArray())[..5].ToLowerInvariant();

    public FirewallLab()
    {
        Namespaced.RequireRoot();
        Directory.CreateDirectory(StateDir);
        try
        {
            var starts = Backends.Select(b => Task.Run(() =>
            {
                var name = $"rf{b[..2]}{_run}";
                var pid = int.Parse(Namespaced.Setup("fw-netns.sh", "up", Path.Combine(_dir.Path, b), name, b), CultureInfo.InvariantCulture);
                lock (_ns) _ns[b] = (name, pid);
            })).ToArray();
            Task.WaitAll(starts);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>RESH_HOME of every resh call (pending confirmations and the firewalld ownership file live here).</summary>
    public string StateDir => _dir["state"];
    public string Dir => _dir.Path;

    public int Holder(string backend) => _ns[backend].Holder;

    /// <summary>resh inside the backend's namespaces; SSH_CONNECTION only when the test sets it.</summary>
    public ReshRun ReshAs(string backend, string? ssh, params string[] args)
    {
        var env = new Dictionary<string, string> { ["RESH_HOME"] = StateDir };
        if (ssh is not null) env["SSH_CONNECTION"] = ssh;
        return Run(["nsenter", "-t", Holder(backend).ToString(CultureInfo.InvariantCulture), "-n", "-m", "--", ReshBinary.Path, .. args], env, removeSsh: ssh is null);
    }

    public ReshRun Resh(string backend, params string[] args) => ReshAs(backend, null, args);

    /// <summary>resh inside the backend's namespaces with <paramref name="dir"/> first on PATH (a wrapper around a real tool).</summary>
    public ReshRun ReshWithPathFirst(string backend, string dir, params string[] args)
    {
        var env = new Dictionary<string, string> { ["RESH_HOME"] = StateDir, ["PATH"] = dir + ":" + Environment.GetEnvironmentVariable("PATH") };
        return Run(["nsenter", "-t", Holder(backend).ToString(CultureInfo.InvariantCulture), "-n", "-m", "--", ReshBinary.Path, .. args], env, removeSsh: true);
    }

    /// <summary>Any program in the backend's namespaces (nft, iptables-save, firewall-cmd).</summary>
    public (int Code, string Stdout, string Stderr) Exec(string backend, params string[] argv)
    {
        var r = Run(["nsenter", "-t", Holder(backend).ToString(CultureInfo.InvariantCulture), "-n", "-m", "--", .. argv], null, true);
        return (r.ExitCode, r.Stdout, r.Stderr);
    }

    /// <summary>A real TCP connect from the client namespace to the server's port.</summary>
    public bool Connects(string backend, int port)
    {
        var r = Run(["ip", "netns", "exec", _ns[backend].Name + "c", "timeout", "0.8", "bash", "-c", $"exec 3<>/dev/tcp/10.99.0.1/{port}"], null, true);
        return r.ExitCode == 0;
    }

    /// <summary>Polls until the port's reachability is as expected (a rollback timer acting), up to <paramref name="seconds"/>.</summary>
    public bool Eventually(string backend, int port, bool open, double seconds)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            if (Connects(backend, port) == open) return true;
            Thread.Sleep(200);
        }
        return false;
    }

    static ReshRun Run(IReadOnlyList<string> argv, IDictionary<string, string>? env, bool removeSsh)
    {
        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment.Remove("RESH_CONFIG");
        if (removeSsh) psi.Environment.Remove("SSH_CONNECTION");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(90_000)) { p.Kill(true); throw new TimeoutException(string.Join(' ', argv)); }
        return new ReshRun(p.ExitCode, o.Result, e.Result, System.Text.Encoding.UTF8.GetBytes(o.Result));
    }

    public void Dispose()
    {
        // Rollback timers still waiting live in the namespaces: stop them first (by the PIDs resh recorded).
        foreach (var f in Directory.Exists(_dir["state/firewall"]) ? Directory.GetFiles(_dir["state/firewall"], "pending-*.json") : [])
        {
            try
            {
                var pid = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(f))?["timer_pid"]?.GetValue<int>();
                if (pid is { } p && File.ReadAllText($"/proc/{p}/cmdline").Contains("firewall://.rollback", StringComparison.Ordinal)) Process.GetProcessById(p).Kill();
            }
            catch (Exception) { /* already gone */ }
        }
        foreach (var (b, (name, _)) in _ns)
        {
            try { Namespaced.Setup("fw-netns.sh", "down", Path.Combine(_dir.Path, b), name); }
            catch (Exception) { /* best effort */ }
        }
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class FirewallCollection : ICollectionFixture<FirewallLab>
{
    public const string Name = "firewall lab";
}
