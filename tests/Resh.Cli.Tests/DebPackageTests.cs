using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>Builds the .deb of the binary under test once (scripts/package-deb.sh, lintian included).</summary>
public sealed class DebPackage : IDisposable
{
    readonly TempDir _dir = new("deb");
    public ShellRun Build { get; }
    public string Deb { get; }

    public DebPackage()
    {
        Build = Shell.Run($"{Shell.Q(Path.Combine(ReshBinary.RepoRoot, "scripts", "package-deb.sh"))} --binary {Shell.Q(ReshBinary.Path)} --out {Shell.Q(_dir.Path)}",
            wait: TimeSpan.FromMinutes(10));
        Deb = Build.Stdout.Trim();
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// The Debian package: what it holds, that lintian passes it, and a real install, use and purge with apt in a
/// throwaway overlay of this system (tests/dist/deb-roundtrip.sh; the host's dpkg database is never touched).
/// </summary>
public sealed class DebPackageTests(DebPackage package) : IClassFixture<DebPackage>
{
    [Fact]
    public void The_package_builds_lintian_clean_with_the_binary_docs_completions_and_a_conffile()
    {
        Assert.True(package.Build.ExitCode == 0, package.Build.ToString());
        var version = ReshBinary.Run("version", "--format", "json").Result!["version"]!.GetValue<string>();
        Assert.Equal($"resh_{version}_amd64.deb", Path.GetFileName(package.Deb));

        var list = Shell.Run($"dpkg-deb -c {Shell.Q(package.Deb)}");
        Assert.Equal(0, list.ExitCode);
        var entries = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(f => f[^1].TrimStart('.'), f => (Mode: f[0], Owner: f[1]));
        Assert.Equal("-rwxr-xr-x", entries["/usr/bin/resh"].Mode);
        Assert.All(entries.Values, e => Assert.Equal("root/root", e.Owner));
        foreach (var path in new[]
                 {
                     "/usr/share/man/man1/resh.1.gz", "/usr/share/man/man1/resh-file.1.gz", "/usr/share/man/man1/resh-ssh.1.gz",
                     "/usr/share/bash-completion/completions/resh", "/usr/share/zsh/vendor-completions/_resh",
                     "/usr/share/fish/vendor_completions.d/resh.fish", "/etc/resh/config.toml",
                     "/usr/share/doc/resh/copyright", "/usr/share/doc/resh/changelog.gz", "/lib/systemd/system/resh-serve.service",
                 })
            Assert.True(entries.ContainsKey(path), $"{path} is not in the package:\n{list.Stdout}");
        // One man page per visible handle, from the declarations.
        var handles = ReshBinary.Run("handles", "--format", "json").Result!["handles"]!.AsArray().Select(h => h!["scheme"]!.GetValue<string>()).ToList();
        Assert.Equal(handles.Select(h => $"/usr/share/man/man1/resh-{h}.1.gz").Order(), entries.Keys.Where(k => k.StartsWith("/usr/share/man/man1/resh-")).Order());

        var control = Shell.Run($"dpkg-deb -f {Shell.Q(package.Deb)} Version Architecture Depends; dpkg-deb -I {Shell.Q(package.Deb)} conffiles");
        var glibc = Shell.Run($"objdump -T {Shell.Q(ReshBinary.Path)} | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1").Stdout.Trim();
        Assert.Contains($"Version: {version}", control.Stdout);
        Assert.Contains("Architecture: amd64", control.Stdout);
        Assert.Contains($"Depends: libc6 (>= {glibc})", control.Stdout);
        Assert.Contains("/etc/resh/config.toml", control.Stdout);
    }

    [Fact]
    public void The_copyright_file_names_every_package_linked_into_the_binary()
    {
        // The build's package graph (restore's project.assets.json): every package that brings a runtime assembly
        // is linked into the one native file, so its license must be in debian/copyright.
        var assets = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(ReshBinary.RepoRoot, "src", "Resh.Cli", "obj", "project.assets.json")))!;
        var target = assets["targets"]!.AsObject().Single(t => t.Key.EndsWith("/linux-x64", StringComparison.Ordinal)).Value!.AsObject();
        var linked = target.Where(p => p.Value!["type"]!.GetValue<string>() == "package"
                                       && p.Value["runtime"] is System.Text.Json.Nodes.JsonObject rt && rt.Any(f => !f.Key.EndsWith("/_._", StringComparison.Ordinal)))
            .Select(p => p.Key.Split('/')[0]).ToList();
        Assert.Contains("NATS.Client.Core", linked);
        var copyright = File.ReadAllText(Path.Combine(ReshBinary.RepoRoot, "packaging", "debian", "copyright"));
        var missing = linked.Where(name => !System.Text.RegularExpressions.Regex.IsMatch(copyright, $@"[\s,]{System.Text.RegularExpressions.Regex.Escape(name)}[,.\s(]")).ToList();
        Assert.True(missing.Count == 0, $"packaging/debian/copyright does not name: {string.Join(", ", missing)}");
    }

    [Fact]
    public void The_shipped_config_only_holds_comments_and_its_defaults_are_valid_when_uncommented()
    {
        var shipped = File.ReadAllLines(Path.Combine(ReshBinary.RepoRoot, "packaging", "debian", "config.toml"));
        Assert.All(shipped, l => Assert.True(l.Length == 0 || l.StartsWith('#'), $"not a comment: {l}"));
        // Uncommenting every `#key = value` and `#[table]` line gives a config resh accepts (the documented keys exist).
        using var dir = new TempDir("conf");
        var live = shipped.Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^#(\[[a-z.]+\]|[a-z_]+ = )")).Select(l => l[1..]);
        var path = dir.File("config.toml", string.Join('\n', live) + "\n");
        var run = ReshBinary.Run(["system://.hostname", "--format", "json"], env: new Dictionary<string, string> { ["RESH_CONFIG"] = path });
        Assert.True(run.Ok, run.ToString());
        var table = ReshBinary.Run(["archive://x.tar.gz.list", "--format", "json"], env: new Dictionary<string, string> { ["RESH_CONFIG"] = path });
        Assert.NotEqual("usage", table.ErrorCode);
    }

    [Fact]
    public void Apt_installs_it_in_a_throwaway_root_where_resh_man_and_completion_work_and_purge_leaves_nothing()
    {
        Assert.True(package.Build.ExitCode == 0, package.Build.ToString());
        var run = Shell.Run($"{Shell.Q(Path.Combine(ReshBinary.RepoRoot, "tests", "dist", "deb-roundtrip.sh"))} {Shell.Q(package.Deb)}", wait: TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var check in new[] { "apt installed", "resh system://.info answered ok", "man resh and man resh-file render", "bash completion loads", "/etc/resh/config.toml is a conffile resh reads", "resh-serve.service verifies and is not enabled", "purge removed all" })
            Assert.Contains("check: " + check, run.Stdout);
    }
}
