using System.Diagnostics;
using Resh.Handles.Tests.Svc;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Pkg;

[Collection(AptRepoCollection.Name)]
public sealed class PkgAptTests(AptRepo repo)
{
    [Fact]
    public void The_issue_calls_work_as_written()
    {
        repo.Reset();
        var hello = AptRepo.Candidate("resh-test-hello");
        var info = ReshBinary.Run("pkg://curl.info");
        Assert.True(info.Ok, info.ToString());
        Assert.Equal(AptRepo.DpkgVersion("curl"), info.Result!["version"]!.GetValue<string>());
        Assert.True(info.Result!["installed"]!.GetValue<bool>());

        var install = ReshBinary.Run("pkg://resh-test-hello.install");
        Assert.True(install.Ok, install.ToString());
        Assert.True(install.Changed);
        Assert.Equal(hello, AptRepo.DpkgVersion("resh-test-hello"));
        Assert.Equal("1.0", AptRepo.DpkgVersion("resh-test-lib")); // the dependency, from the same repository
        var installed = install.Result!["installed"]!.AsArray().Select(e => e!["name"]!.GetValue<string>() + "=" + e["version"]!.GetValue<string>()).Order().ToList();
        Assert.Equal([$"resh-test-hello={hello}", "resh-test-lib=1.0"], installed);
        Assert.Equal($"hello {hello}", AptRepo.Sh("/usr/bin/resh-test-hello").Out);
        Assert.False(ReshBinary.Run("pkg://resh-test-hello.install").Changed);

        var table = ReshBinary.Run("pkg://.list", "--format", "table");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("resh-test-hello", table.Stdout);

        var remove = ReshBinary.Run("pkg://resh-test-hello.remove", "packages=resh-test-lib", "purge=true");
        Assert.True(remove.Changed, remove.ToString());
        Assert.Null(AptRepo.DpkgVersion("resh-test-hello"));
        Assert.False(File.Exists("/etc/resh-test-hello.conf"));
        Assert.False(ReshBinary.Run("pkg://resh-test-hello.remove", "purge=true").Changed);
    }

    [Fact]
    public void List_matches_dpkg_query_and_a_dry_run_installs_nothing()
    {
        repo.Reset();
        var hello = AptRepo.Candidate("resh-test-hello");
        var list = ReshBinary.Run("pkg://.list");
        var dpkg = AptRepo.Sh("dpkg-query", "-W", "-f", "${db:Status-Abbrev}|${Package}|${Version}\n").Out.Split('\n')
            .Where(l => l.StartsWith("ii", StringComparison.Ordinal) || l.StartsWith("hi", StringComparison.Ordinal)).Select(l => l.Split('|')).Select(f => f[1] + "=" + f[2]).Order().ToList();
        var ours = list.Result!["packages"]!.AsArray().Select(p => p!["name"]!.GetValue<string>() + "=" + p["version"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(dpkg, ours);

        var dry = ReshBinary.Run("pkg://resh-test-hello.install", "--dry-run");
        Assert.True(dry.Changed, dry.ToString());
        var actions = dry.Result!["actions"]!.AsArray().Select(a => $"{a!["action"]} {a["name"]} {a["to"]}").Order().ToList();
        Assert.Equal([$"install resh-test-hello {hello}", "install resh-test-lib 1.0"], actions);
        var argv = dry.Result!["commands"]![0]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        Assert.Equal("apt-get", argv[0]);
        Assert.Equal(["install", "resh-test-hello"], argv.TakeLast(2));
        Assert.Null(AptRepo.DpkgVersion("resh-test-hello"));
        var search = ReshBinary.Run("pkg://.search(query=resh-test)");
        Assert.Contains(search.Result!["packages"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "resh-test-hello");
        Assert.Equal("not_found", ReshBinary.Run("pkg://resh-test-nonexistent.info").ErrorCode);
    }

    [Fact]
    public void Upgrade_hold_and_version_pins_move_between_exact_versions()
    {
        repo.Reset();
        Assert.True(ReshBinary.Run("pkg://resh-test-hello=1.0.install").Ok);
        repo.Publish("1.1");
        Assert.True(ReshBinary.Run($"pkg://.update(repo={repo.Name})").Ok);
        var info = ReshBinary.Run("pkg://resh-test-hello.info");
        Assert.Equal("1.1", info.Result!["candidate"]!.GetValue<string>());
        Assert.True(info.Result!["upgrade_available"]!.GetValue<bool>());

        Assert.True(ReshBinary.Run("pkg://resh-test-hello.hold").Changed);
        Assert.False(ReshBinary.Run("pkg://resh-test-hello.hold").Changed);
        Assert.Contains(ReshBinary.Run("pkg://.list(status=held)").Result!["packages"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "resh-test-hello");
        var held = ReshBinary.Run("pkg://resh-test-hello.upgrade");
        Assert.Equal("conflict", held.ErrorCode);
        Assert.Equal("1.0", AptRepo.DpkgVersion("resh-test-hello"));
        Assert.True(ReshBinary.Run("pkg://resh-test-hello.unhold").Changed);

        var dry = ReshBinary.Run("pkg://.upgrade", "--dry-run");
        Assert.Contains(dry.Result!["upgraded"]!.AsArray(), a => a!["name"]!.GetValue<string>() == "resh-test-hello" && a["from"]!.GetValue<string>() == "1.0" && a["to"]!.GetValue<string>() == "1.1");
        var up = ReshBinary.Run("pkg://resh-test-hello.upgrade");
        Assert.True(up.Changed, up.ToString());
        var u = up.Result!["upgraded"]!.AsArray().Single()!;
        Assert.Equal("1.0", u["from"]!.GetValue<string>());
        Assert.Equal("1.1", u["to"]!.GetValue<string>());
        Assert.Equal("1.1", AptRepo.DpkgVersion("resh-test-hello"));
        Assert.Equal("hello 1.1", AptRepo.Sh("/usr/bin/resh-test-hello").Out);
        Assert.False(ReshBinary.Run("pkg://resh-test-hello.upgrade").Changed); // already the candidate
        Assert.False(ReshBinary.Run("pkg://resh-test-hello.upgrade", "--dry-run").Changed);

        var down = ReshBinary.Run("pkg://resh-test-hello=1.0.install");
        Assert.True(down.Changed, down.ToString());
        Assert.Equal("downgrade", down.Result!["actions"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == "resh-test-hello")!["action"]!.GetValue<string>());
        Assert.Equal("1.0", AptRepo.DpkgVersion("resh-test-hello"));
        Assert.True(ReshBinary.Run("pkg://resh-test-hello.install", "latest=true").Changed);
        Assert.Equal("1.1", AptRepo.DpkgVersion("resh-test-hello"));

        var history = ReshBinary.Run("pkg://.history(limit=5)");
        Assert.Contains(history.Result!["transactions"]!.AsArray(), t => t!["actions"]!.AsArray().Any(a => a!["name"]!.GetValue<string>() == "resh-test-hello"));
        Assert.True(ReshBinary.Run("pkg://resh-test-hello.remove", "packages=resh-test-lib", "purge=true").Changed);
    }

    [Fact]
    public void Files_owner_and_verify_read_dpkgs_database()
    {
        repo.Reset();
        Assert.True(ReshBinary.Run("pkg://resh-test-hello.install").Ok);
        try
        {
            var files = ReshBinary.Run("pkg://resh-test-hello.files");
            Assert.Contains("/usr/bin/resh-test-hello", files.Result!["files"]!.AsArray().Select(f => f!.GetValue<string>()));
            var owner = ReshBinary.Run("pkg:///usr/bin/resh-test-hello.owner");
            Assert.Equal(["resh-test-hello"], owner.Result!["packages"]!.AsArray().Select(p => p!.GetValue<string>()));
            var none = ReshBinary.Run("pkg:///etc/hostname.owner");
            Assert.True(none.Ok);
            Assert.False(none.Result!["found"]!.GetValue<bool>());
            Assert.True(ReshBinary.Run("pkg://resh-test-hello.verify").Result!["ok"]!.GetValue<bool>());
            File.AppendAllText("/etc/resh-test-hello.conf", "changed=yes\n");
            var verify = ReshBinary.Run("pkg://resh-test-hello.verify");
            var issue = verify.Result!["issues"]!.AsArray().Single()!;
            Assert.Equal("/etc/resh-test-hello.conf", issue["path"]!.GetValue<string>());
            Assert.True(issue["config"]!.GetValue<bool>());
            Assert.Contains("checksum", issue["problems"]!.AsArray().Select(p => p!.GetValue<string>()));
        }
        finally { Assert.True(ReshBinary.Run("pkg://resh-test-hello.remove", "packages=resh-test-lib", "purge=true").Ok); }
    }

    [Fact]
    public void A_held_dpkg_lock_is_a_conflict_naming_its_holder()
    {
        repo.Reset();
        using var holder = Process.Start(new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { "-c", "import fcntl,sys,time\nf=open('/var/lib/dpkg/lock-frontend','w')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(20)" },
            RedirectStandardOutput = true, UseShellExecute = false,
        })!;
        try
        {
            Assert.Equal("locked", holder.StandardOutput.ReadLine());
            var sw = Stopwatch.StartNew();
            var r = ReshBinary.Run("pkg://resh-test-lib.install", "--timeout", "3s");
            Assert.Equal("conflict", r.ErrorCode);
            Assert.Equal(holder.Id, r.Envelope["error"]!["details"]!["holder_pid"]!.GetValue<int>());
            Assert.Equal("python3", r.Envelope["error"]!["details"]!["holder"]!.GetValue<string>());
            Assert.True(sw.Elapsed > TimeSpan.FromSeconds(1), "resh waited for the lock before answering");
        }
        finally { holder.Kill(); holder.WaitForExit(); }
        Assert.Null(AptRepo.DpkgVersion("resh-test-lib"));
    }

    [Fact]
    public void Repo_add_is_idempotent_and_repo_list_shows_the_signed_source()
    {
        Assert.True(repo.AddResult.Changed);
        var file = $"/etc/apt/sources.list.d/{repo.Name}.sources";
        Assert.Contains($"Signed-By: /etc/apt/keyrings/{repo.Name}.gpg", File.ReadAllText(file));
        var again = ReshBinary.Run($"pkg://{repo.Name}.repo.add", $"uri=file:{repo.RepoPath}", "suites=./", $"key=@{repo.Dir}/key.asc");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed);
        var list = ReshBinary.Run("pkg://.repo.list");
        var mine = list.Result!["repos"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == repo.Name)!;
        Assert.Equal("deb822", mine["format"]!.GetValue<string>());
        Assert.Equal($"file:{repo.RepoPath}", mine["uris"]![0]!.GetValue<string>());
        Assert.Equal("usage", ReshBinary.Run("pkg://bad name.repo.add", "uri=file:/x", "suites=./").ErrorCode);
        Assert.Equal("usage", ReshBinary.Run("pkg://x.repo.add", "uri=file:/x y", "suites=./").ErrorCode);
        Assert.False(ReshBinary.Run("pkg://resh-test-never-added.repo.remove").Changed);
    }

    [Fact]
    public void A_package_file_older_than_the_installed_version_is_installed_as_a_downgrade()
    {
        // User review 14: a .deb older than the installed version failed (apt wants --allow-downgrades); a pin passed it.
        repo.Reset();
        repo.Publish("1.1");
        Assert.True(ReshBinary.Run($"pkg://.update(repo={repo.Name})").Ok);
        try
        {
            Assert.True(ReshBinary.Run("pkg://resh-test-hello=1.1.install").Ok);
            Assert.Equal("1.1", AptRepo.DpkgVersion("resh-test-hello"));
            var deb = Path.Combine(repo.RepoPath, "resh-test-hello_1.0_all.deb");
            var down = ReshBinary.Run($"pkg://{deb}.install");
            Assert.True(down.Changed, down.ToString());
            Assert.Equal("downgrade", down.Result!["actions"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == "resh-test-hello")!["action"]!.GetValue<string>());
            Assert.Equal("1.0", AptRepo.DpkgVersion("resh-test-hello"));
            Assert.False(ReshBinary.Run($"pkg://{deb}.install").Changed);
        }
        finally { repo.Reset(); }
    }

    [Fact]
    public async Task Sigterm_during_an_install_reports_what_dpkg_left_unfinished_and_how_to_finish()
    {
        // Attacker review 9: SIGTERM mid-install left dpkg half-configured and resh said nothing about it.
        repo.Reset();
        var hold = Path.Combine(repo.Dir, "slow-hold");
        var started = Path.Combine(repo.Dir, "slow-started");
        var deb = Namespaced.Setup("pkg-repo.sh", "slowdeb", repo.Dir, hold, started);
        File.WriteAllText(hold, "");
        File.Delete(started);
        var psi = new ProcessStartInfo(ReshBinary.Path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add($"pkg://{deb}.install");
        psi.Environment["NO_COLOR"] = "1";
        using var resh = Process.Start(psi)!;
        var stdout = resh.StandardOutput.ReadToEndAsync();
        var stderr = resh.StandardError.ReadToEndAsync();
        try
        {
            var sw = Stopwatch.StartNew();
            while (!File.Exists(started) && sw.Elapsed < TimeSpan.FromSeconds(120) && !resh.HasExited) Thread.Sleep(100);
            Assert.True(File.Exists(started), "the package's postinst never ran (is resh still running: " + !resh.HasExited + ")");
            Assert.Equal(0, AptRepo.Sh("kill", "-TERM", resh.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).Code);
            Assert.True(resh.WaitForExit(30_000), "resh did not stop after SIGTERM");
            var (outText, errText) = (await stdout, await stderr);
            var run = new ReshRun(resh.ExitCode, outText, errText, System.Text.Encoding.UTF8.GetBytes(outText));
            Assert.Equal(130, run.ExitCode);
            Assert.Equal("interrupted", run.ErrorCode);
            var error = run.Envelope["error"]!;
            var slow = error["details"]!["unfinished"]!.AsArray().Single(u => u!["name"]!.GetValue<string>() == "resh-test-slow")!;
            // Where dpkg was when the signal came: unpacked (before it recorded the configure step) or half-configured.
            Assert.Contains(slow["state"]!.GetValue<string>(), new[] { "unpacked", "half-configured" });
            Assert.Contains("resh-test-slow", error["message"]!.GetValue<string>());
            Assert.Contains("dpkg --configure -a", error["hint"]!.GetValue<string>());
        }
        finally
        {
            File.Delete(hold);
            if (!resh.HasExited) { resh.Kill(true); resh.WaitForExit(); }
            AptRepo.Sh("dpkg", "--configure", "resh-test-slow");
            repo.Reset();
        }
        Assert.Null(AptRepo.DpkgVersion("resh-test-slow"));
    }
}

[Collection(AptRepoCollection.Name)]
public sealed class PkgHostileTests(AptRepo repo)
{
    public static TheoryData<string> BadNames => new()
    {
        "-oAPT::Get::AllowUnauthenticated=true", "--help", "a;b", "$(id)", "`id`", "a b", "a\nb", "curl|sh", "curl&&id", new string('a', 250), "curl=1.0;id", "curl=-1",
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public void Hostile_package_names_are_usage_errors_and_nothing_runs(string name)
    {
        var before = AptRepo.Sh("dpkg-query", "-W").Out;
        foreach (var verb in new[] { "install", "remove", "info", "hold", "files", "upgrade" })
        {
            var r = ReshBinary.Run($"pkg://{Uri.EscapeDataString(name)}.{verb}");
            Assert.True(r.ErrorCode == "usage", $"{verb}: {r}");
        }
        Assert.Equal("usage", ReshBinary.Run("pkg://.install", "--args", System.Text.Json.JsonSerializer.Serialize(new { packages = new[] { name } })).ErrorCode);
        Assert.Equal(before, AptRepo.Sh("dpkg-query", "-W").Out);
        _ = repo;
    }

    [Fact]
    public void A_keyring_path_cannot_inject_deb822_fields()
    {
        using var tmp = new TempDir("kr");
        var keyring = tmp["kr\nTrusted: yes"];
        File.WriteAllText(keyring, ""); // it exists, so only the word check can refuse it
        var sources = Directory.GetFiles("/etc/apt/sources.list.d");
        var r = ReshBinary.Run("pkg://resh-test-kr.repo.add", "uri=https://example.invalid/debian", "suites=bookworm", "components=main", $"keyring={keyring}", "--dry-run");
        Assert.Equal("usage", r.ErrorCode);
        Assert.DoesNotContain("Trusted", r.Stdout);
        Assert.Equal("usage", ReshBinary.Run("pkg://resh-test-kr.repo.add", "uri=https://example.invalid/debian", "suites=bookworm", $"keyring={tmp["a b"]}", "--dry-run").ErrorCode);
        Assert.Equal(sources, Directory.GetFiles("/etc/apt/sources.list.d"));
        _ = repo;
    }

    [Fact]
    public void Search_queries_and_owner_paths_cannot_become_options()
    {
        // User review 21: a missing package file is not_found (as for install), not "not a package name".
        Assert.Equal("not_found", ReshBinary.Run("pkg:///nonexistent-resh-test.deb.info").ErrorCode);
        Assert.Equal("usage", ReshBinary.Run($"pkg://{ReshBinary.Path}.info").ErrorCode);
        Assert.Equal("usage", ReshBinary.Run("pkg://.search(query=-oDebug::pkgProblemResolver=1)").ErrorCode);
        Assert.Equal("usage", ReshBinary.Run("pkg://.owner(path=-S)").ErrorCode);
        Assert.Equal("usage", ReshBinary.Run("pkg://.owner(path=/usr/bin/*)").ErrorCode);
    }

    [Fact]
    public void An_unprivileged_user_can_query_and_simulate_but_not_change()
    {
        repo.Reset();
        ReshRun AsNobody(params string[] args) => Resh.Handles.Tests.User.UserSandbox.RunNs(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ReshBinary.Path, .. args], null, new Dictionary<string, string> { ["HOME"] = "/tmp" });
        Assert.True(AsNobody("pkg://.list").Ok);
        Assert.True(AsNobody("pkg://curl.info").Ok);
        var dry = AsNobody("pkg://resh-test-hello.install", "--dry-run");
        Assert.True(dry.Ok, dry.ToString());
        Assert.True(dry.Changed);
        Assert.Equal("permission_denied", AsNobody("pkg://resh-test-hello.install").ErrorCode);
        Assert.Equal("permission_denied", AsNobody("pkg://curl.remove").ErrorCode);
        Assert.Equal("permission_denied", AsNobody($"pkg://{repo.Name}.repo.remove").ErrorCode);
        foreach (var hostile in new[] { "pkg://x;id.install", "pkg://-oAPT::Update::Pre-Invoke::=id.install", "pkg://$(id).remove", "pkg://a b.hold" })
        {
            var r = AsNobody(hostile, "--dry-run");
            Assert.Equal("usage", r.ErrorCode);
        }
        Assert.True(File.Exists($"/etc/apt/sources.list.d/{repo.Name}.sources"));
        Assert.Null(AptRepo.DpkgVersion("resh-test-hello"));
    }
}
