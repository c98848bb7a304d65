using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Pkg;

/// <summary>
/// dnf, apk, pacman and zypper cannot run on this Debian machine: their exact argv and the parsing of
/// their output are checked against written fixtures (Pkg/Fixtures/README.md) replayed by a stand-in.
/// </summary>
public sealed class PkgOtherManagerTests
{
    sealed class Shims : IDisposable
    {
        readonly TempDir _dir = new("pmshim");
        public Shims()
        {
            var fixtures = Path.Combine(AppContext.BaseDirectory, "Pkg", "Fixtures");
            var bin = Directory.CreateDirectory(_dir["bin"]).FullName;
            foreach (var f in Directory.GetFiles(fixtures)) File.Copy(f, Path.Combine(bin, Path.GetFileName(f)));
            File.SetUnixFileMode(Path.Combine(bin, "pm-shim"), (UnixFileMode)0x1ed);
            foreach (var tool in new[] { "rpm", "dnf", "apk", "pacman", "zypper" }) File.CreateSymbolicLink(Path.Combine(bin, tool), Path.Combine(bin, "pm-shim"));
            Env = new Dictionary<string, string> { ["PATH"] = bin + ":/usr/bin:/bin", ["PM_LOG"] = _dir["argv.log"], ["PM_STATE"] = _dir["installed"] };
        }
        public Dictionary<string, string> Env { get; }
        public ReshRun Run(params string[] args) => ReshBinary.Run(args, env: Env);
        public List<string[]> Calls => File.Exists(Env["PM_LOG"]) ? File.ReadAllLines(Env["PM_LOG"]).Select(l => l.Split('\t')).ToList() : [];
        public void Dispose() => _dir.Dispose();
    }

    [Fact]
    public void Dnf_lists_from_rpm_plans_from_its_transaction_table_and_reports_the_rpm_difference()
    {
        using var s = new Shims();
        var list = s.Run("pkg://.list", "manager=dnf");
        Assert.True(list.Ok, list.ToString());
        var pkgs = list.Result!["packages"]!.AsArray();
        Assert.Equal(4, pkgs.Count); // gpg-pubkey is not a package
        Assert.Equal("1:3.0.9-2.fc38", pkgs.Single(p => p!["name"]!.GetValue<string>() == "openssl-libs")!["version"]!.GetValue<string>());

        var dry = s.Run("pkg://jq.install", "manager=dnf", "--dry-run");
        Assert.True(dry.Ok, dry.ToString());
        var plan = dry.Result!["actions"]!.AsArray().Select(a => $"{a!["action"]} {a["name"]} {a["from"]}>{a["to"]}").ToList();
        Assert.Equal(["install jq >1.6-16.fc38", "upgrade libcurl 8.0.1-5.fc38>8.0.1-6.fc38", "install oniguruma >6.9.8-2.D20220919gitb041f6d.fc38"], plan);
        Assert.False(File.Exists(s.Env["PM_STATE"]));

        var run = s.Run("pkg://jq.install", "manager=dnf");
        Assert.True(run.Changed, run.ToString());
        Assert.Equal(["jq", "oniguruma"], run.Result!["installed"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).Order());
        Assert.Equal("8.0.1-6.fc38", run.Result!["upgraded"]![0]!["to"]!.GetValue<string>());
        Assert.Contains(s.Calls, c => c.SequenceEqual(["dnf", "-y", "install", "jq"]));
        Assert.Contains(s.Calls, c => c.SequenceEqual(["dnf", "--assumeno", "install", "jq"]));

        Assert.False(s.Run("pkg://curl.install", "manager=dnf").Changed); // installed already: no dnf call at all
        Assert.DoesNotContain(s.Calls, c => c.Contains("curl") && c[0] == "dnf");
        var owner = s.Run("pkg:///usr/bin/curl.owner", "manager=dnf");
        Assert.Equal(["curl"], owner.Result!["packages"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.False(s.Run("pkg:///etc/hostname.owner", "manager=dnf").Result!["found"]!.GetValue<bool>());
        var search = s.Run("pkg://.search(query=json)", "manager=dnf");
        Assert.Equal(["jq", "json-c", "python3-jsonschema"], search.Result!["packages"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        Assert.Equal("unsupported", s.Run("pkg://.repo.list", "manager=dnf").ErrorCode);
    }

    [Fact]
    public void Apk_pacman_and_zypper_get_their_own_argv_and_their_output_is_read()
    {
        using (var s = new Shims())
        {
            var list = s.Run("pkg://.list", "manager=apk");
            Assert.Equal("1.2.4_git20230717-r4", list.Result!["packages"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "musl")!["version"]!.GetValue<string>());
            var dry = s.Run("pkg://jq.install", "manager=apk", "--dry-run");
            Assert.Equal(["install oniguruma 6.9.9-r0", "install jq 1.7.1-r0"], dry.Result!["actions"]!.AsArray().Select(a => $"{a!["action"]} {a["name"]} {a["to"]}"));
            var run = s.Run("pkg://jq.install", "manager=apk");
            Assert.True(run.Changed, run.ToString());
            Assert.Contains(s.Calls, c => c.SequenceEqual(["apk", "--no-progress", "add", "jq"]));
            Assert.Equal(["curl"], s.Run("pkg:///usr/bin/curl.owner", "manager=apk").Result!["packages"]!.AsArray().Select(p => p!.GetValue<string>()));
        }
        using (var s = new Shims())
        {
            var dry = s.Run("pkg://jq.install", "manager=pacman", "--dry-run");
            Assert.True(dry.Ok, dry.ToString());
            Assert.Equal(["install oniguruma 6.9.9-1", "install jq 1.7.1-2"], dry.Result!["actions"]!.AsArray().Select(a => $"{a!["action"]} {a["name"]} {a["to"]}"));
            var run = s.Run("pkg://jq.install", "manager=pacman");
            Assert.True(run.Changed, run.ToString());
            Assert.Contains(s.Calls, c => c.SequenceEqual(["pacman", "--noconfirm", "--noprogressbar", "-S", "--needed", "jq"]));
            Assert.Equal("unsupported", s.Run("pkg://jq=1.7.install", "manager=pacman").ErrorCode);
            Assert.Equal(["curl"], s.Run("pkg:///usr/bin/curl.owner", "manager=pacman").Result!["packages"]!.AsArray().Select(p => p!.GetValue<string>()));
        }
        using (var s = new Shims())
        {
            var dry = s.Run("pkg://jq.install", "manager=zypper", "--dry-run");
            Assert.True(dry.Ok, dry.ToString());
            Assert.Equal(["install libonig4 6.9.8-150400.3.3.1", "install jq 1.6-150400.3.3.1"], dry.Result!["actions"]!.AsArray().Select(a => $"{a!["action"]} {a["name"]} {a["to"]}"));
            var run = s.Run("pkg://jq.install", "manager=zypper");
            Assert.True(run.Changed, run.ToString());
            Assert.Contains(s.Calls, c => c.SequenceEqual(["zypper", "--non-interactive", "--xmlout", "install", "jq"]));
        }
    }
}
