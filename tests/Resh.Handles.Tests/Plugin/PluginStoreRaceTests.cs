using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin;

/// <summary>
/// Review s36 attacker #1 and #11: a store reached through a symlink in a directory another user owns runs only what
/// was checked while that user flips the link, and the work directories of killed installs are swept.
/// </summary>
public sealed class PluginStoreRaceTests : IDisposable
{
    readonly TempDir _dir = new("plrace");
    Process? _swapper;

    public void Dispose()
    {
        if (_swapper is { } s)
        {
            try { if (!s.HasExited) { s.Kill(); s.WaitForExit(5000); } } catch (InvalidOperationException) { }
            s.Dispose();
        }
        _dir.Dispose();
    }

    static bool IsRoot => Shell.Run("id -u").Stdout.Trim() == "0";

    const string Swap = """
        import os, sys, time
        os.chdir(sys.argv[1])
        end = time.time() + float(sys.argv[2])
        while time.time() < end:
            for t in ("../safe", "atk"):
                try:
                    os.symlink(t, "tmp")
                    os.replace("tmp", "link")
                except FileExistsError:
                    os.unlink("tmp")
        """;

    [Fact]
    public void A_store_behind_another_users_flipping_symlink_never_runs_their_program()
    {
        if (!IsRoot) return; // needs root and setpriv: the attacker is uid 65534
        var b = _dir.Path;
        Shell.Run($"chmod 0755 {Shell.Q(b)}");
        // root's store, with hello-py installed, at b/safe/home.
        var safeHome = _dir["safe/home"];
        Directory.CreateDirectory(safeHome, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var sample = Path.Combine(PluginKit.Samples, "hello-py");
        var install = ReshBinary.Run(["plugin://.install", $"from={sample}", "--format", "json"], env: new Dictionary<string, string> { ["RESH_HOME"] = safeHome });
        Assert.True(install.Ok, install.ToString());
        // nobody's directory u/: a link to ../safe, and a store of their own whose hello.py is their program.
        var pwned = _dir["PWNED"];
        var script = _dir.File("pwn.sh", $"#!/bin/sh\nid > {pwned}.$$\n");
        Shell.Run($"chmod 0755 {Shell.Q(script)}");
        var setup = Shell.Run($"""
            set -e
            cd {Shell.Q(b)}
            mkdir u && cp -a safe/home u/atk-home
            mkdir u/atk && mv u/atk-home u/atk/home
            printf '#!{script}\n' > u/atk/home/$(cd safe/home && find . -name hello.py -path '*hello-py*' | head -1)
            ln -s ../safe u/link
            chown -R 65534:65534 u && chown -h 65534:65534 u/link
            """);
        Assert.True(setup.ExitCode == 0, setup.ToString());
        // Control: the attacker's store itself is refused (u/ is nobody's).
        var direct = ReshBinary.Run(["hellopy://x.echo", "name=n", "--format", "json"], env: new Dictionary<string, string> { ["RESH_HOME"] = _dir["u/atk/home"] });
        Assert.False(direct.Ok, direct.ToString());
        Assert.Empty(Directory.GetFiles(b, "PWNED*"));

        var psi = new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", Swap, _dir["u"], "60"]) { UseShellExecute = false };
        _swapper = Process.Start(psi)!;
        var env = new Dictionary<string, string> { ["RESH_HOME"] = _dir["u/link/home"] };
        int ok = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        var batch = string.Join("\n", Enumerable.Range(0, 20).Select(i => new JsonObject { ["id"] = i, ["stage"] = "hellopy://x.echo", ["args"] = new JsonObject { ["name"] = "n" } }.ToJsonString())) + "\n";
        for (int i = 0; i < 60 && clock.Elapsed < TimeSpan.FromSeconds(45); i++)
        {
            // Single calls and batches: each resh process resolves the store once.
            var run = i % 4 == 3 ? ReshBinary.Run(["batch"], batch, env: env) : ReshBinary.Run(["hellopy://x.echo", "name=n", "--format", "json"], env: env);
            foreach (var line in run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var envelope = JsonNode.Parse(line)!.AsObject();
                if (envelope["ok"]!.GetValue<bool>()) ok++; else refused++;
            }
            Assert.Empty(Directory.GetFiles(b, "PWNED*"));
        }
        _swapper.Kill();
        Assert.Empty(Directory.GetFiles(b, "PWNED*"));
        // The race was live: the checked store ran, and the attacker's was refused whenever the link pointed at it.
        Assert.True(ok > 0, $"ok {ok}, refused {refused}");
        Assert.True(refused > 0, $"ok {ok}, refused {refused}");
    }

    [Fact]
    public void Work_directories_of_killed_installs_are_swept_by_the_next_install_or_list()
    {
        var tmp = _dir["tmp"];
        Directory.CreateDirectory(tmp);
        string Make(string name, DateTime? mtime = null)
        {
            var d = Path.Combine(tmp, name);
            Directory.CreateDirectory(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.WriteAllText(Path.Combine(d, "token"), "SeCrEtTok42");
            if (mtime is { } t) Directory.SetLastWriteTimeUtc(d, t);
            return d;
        }
        var dead = Make("resh-plugin-2147483600-AbC123");                    // its resh is gone (no such pid)
        var alive = Make($"resh-plugin-{Environment.ProcessId}-XyZ789");      // its creator runs
        var oldStyle = Make("resh-plugin-UY3bka", DateTime.UtcNow.AddHours(-3)); // resh before s37: no pid, hours old
        var fresh = Make("resh-plugin-Qw3rty");                                // no pid, new: maybe a running older resh
        var other = Make("resh-other-2147483600-x");                           // not resh-plugin-
        string? foreign = null;
        if (IsRoot)
        {
            foreign = Make("resh-plugin-2147483601-NoBody");                   // another user's: never touched
            Shell.Run($"chown -R 65534:65534 {Shell.Q(foreign)}");
        }
        var home = _dir["home"];
        Directory.CreateDirectory(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var run = ReshBinary.Run(["plugin://.list", "--format", "json"], env: new Dictionary<string, string> { ["RESH_HOME"] = home, ["TMPDIR"] = tmp });
        Assert.True(run.Ok, run.ToString());
        Assert.False(Directory.Exists(dead));
        Assert.False(Directory.Exists(oldStyle));
        Assert.True(Directory.Exists(alive));
        Assert.True(Directory.Exists(fresh));
        Assert.True(Directory.Exists(other));
        if (foreign is not null) Assert.True(Directory.Exists(foreign));
        // An install from a directory names its own work directory with its pid, and leaves none behind.
        var install = ReshBinary.Run(["plugin://.install", $"from={Path.Combine(PluginKit.Samples, "hello-py")}", "--format", "json"],
            env: new Dictionary<string, string> { ["RESH_HOME"] = home, ["TMPDIR"] = tmp });
        Assert.True(install.Ok, install.ToString());
        Assert.Equal(new[] { alive, fresh }.Concat(foreign is null ? Array.Empty<string>() : new[] { foreign }).Order(), Directory.GetDirectories(tmp, "resh-plugin-*").Order());
    }
}
