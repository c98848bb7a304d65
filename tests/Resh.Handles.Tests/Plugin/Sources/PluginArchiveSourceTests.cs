using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin.Sources;

/// <summary>plugin://.install from .tar.gz, .tgz and .zip files and URLs; hostile archives refused with nothing written outside.</summary>
[Collection("plugin-registry")]
public sealed class PluginArchiveSourceTests(RegistryServer server)
{
    [Fact]
    public void Tar_gz_with_a_top_folder_tgz_at_the_top_and_zip_install()
    {
        foreach (var (file, make) in new (string, Action<string, string>)[]
        {
            ("hb.tar.gz", (dir, f) => Pack.TarGz(dir, f, topFolder: true)),
            ("hb.tgz", (dir, f) => Pack.TarGz(dir, f, topFolder: false)),
            ("hb.zip", Pack.Zip),
        })
        {
            using var kit = new SourceKit();
            var src = Pack.Sample(kit["src"], "1.0.0");
            var archive = kit[file];
            make(src, archive);
            var run = kit.Resh("plugin://.install", $"from={archive}");
            var r = kit.Ok(run);
            Assert.True(run.Changed, run.ToString());
            Assert.Equal("hello-bash", r["name"]!.GetValue<string>());
            Assert.Equal("hello ann from x", kit.Ok(kit.Resh("hellob://x.greet", "name=ann"))["message"]!.GetValue<string>());
            // The same archive again: nothing changes.
            Assert.False(kit.Resh("plugin://.install", $"from={archive}").Changed);
            // The extracted temporary tree is gone.
            Assert.DoesNotContain(Directory.GetDirectories(Path.GetTempPath(), "resh-plugin-*"), d => Directory.Exists(Path.Combine(d, "tree")));
        }
    }

    [Fact]
    public void An_archive_url_installs_and_update_rereads_it()
    {
        using var kit = new SourceKit();
        var dir = Directory.CreateDirectory(Path.Combine(server.Www, "a" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var archive = Path.Combine(dir, "hello-bash.zip");
        Pack.Zip(Pack.Sample(Path.Combine(dir, "v1"), "1.0.0"), archive);
        var url = server.Url(Path.GetFileName(dir) + "/hello-bash.zip");
        Assert.Equal("1.0.0", kit.Ok(kit.Resh("plugin://.install", $"from={url}", $"sha256={Pack.Sha256(archive)}"))["version"]!.GetValue<string>());

        File.Delete(archive);
        Pack.Zip(Pack.Sample(Path.Combine(dir, "v2"), "1.1.0"), archive);
        // Plain http (the test server): update needs force=true (no sha256 to check the new archive against).
        kit.Fails(kit.Resh("plugin://hello-bash.update"), "permission_denied", 4);
        var up = kit.Resh("plugin://hello-bash.update", "force=true");
        Assert.True(up.Changed, up.ToString());
        Assert.Equal("1.1.0", kit.Installed());
    }

    [Theory]
    [InlineData("dotdot")]
    [InlineData("absolute")]
    [InlineData("symlink")]
    public void A_hostile_archive_is_refused_and_nothing_is_written_outside(string kind)
    {
        using var kit = new SourceKit();
        var escape = Path.Combine(Path.GetTempPath(), "resh-escape-" + Guid.NewGuid().ToString("N")[..10]);
        var src = Pack.Sample(kit["src"], "1.0.0");
        var archive = kit["evil.tar.gz"];
        Pack.Hostile(src, archive, kind, escape);
        var run = kit.Resh("plugin://.install", $"from={archive}");
        kit.Fails(run, "permission_denied", 4);
        Assert.Contains("unsafe", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.NotEmpty(run.Envelope["error"]!["details"]!["refused"]!.AsArray());
        Assert.False(File.Exists(escape), "the archive wrote outside its directory");
        Assert.False(File.Exists(Path.Combine("/", Path.GetFileName(escape))));
        Assert.Null(kit.Installed());
    }

    [Fact]
    public void Archives_without_a_plugin_and_damaged_ones_are_refused()
    {
        using var kit = new SourceKit();
        var empty = kit["empty"];
        Directory.CreateDirectory(Path.Combine(empty, "a"));
        Directory.CreateDirectory(Path.Combine(empty, "b"));
        File.WriteAllText(Path.Combine(empty, "a", "x"), "x");
        RegistryServer.Sh($"tar -czf {Shell.Q(kit["none.tar.gz"])} -C {Shell.Q(empty)} .");
        kit.Fails(kit.Resh("plugin://.install", $"from={kit["none.tar.gz"]}"), "usage", 2);

        File.WriteAllBytes(kit["broken.tar.gz"], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5]);
        var broken = kit.Resh("plugin://.install", $"from={kit["broken.tar.gz"]}");
        Assert.False(broken.Ok, broken.ToString());
        Assert.Contains(broken.ExitCode, new[] { 1, 2 });
        Assert.Null(kit.Installed());
        kit.Fails(kit.Resh("plugin://.install", $"from={kit["missing.tar.gz"]}"), "not_found", 3);
    }

    [Fact]
    public void Updating_every_plugin_reports_one_whose_source_is_gone_and_updates_the_rest()
    {
        using var kit = new SourceKit();
        var py = kit["py"];
        RegistryServer.Sh($"cp -a {Shell.Q(Path.Combine(PluginKit.Samples, "hello-py"))} {Shell.Q(py)}");
        kit.Ok(kit.Resh("plugin://.install", $"from={py}"));
        var archive = kit["hb.tar.gz"];
        Pack.TarGz(Pack.Sample(kit["v1"], "1.0.0"), archive, topFolder: true);
        kit.Ok(kit.Resh("plugin://.install", $"from={archive}"));

        Directory.Delete(py, recursive: true);
        File.Delete(archive);
        Pack.TarGz(Pack.Sample(kit["v2"], "1.1.0"), archive, topFolder: true);
        var run = kit.Resh("plugin://.update", "force=true"); // local sources are re-read only with force=true
        Assert.Equal(9, run.ExitCode);
        Assert.Equal("partial", run.ErrorCode);
        Assert.True(run.Changed, run.ToString());
        Assert.Equal("1.1.0", kit.Installed());
    }
}
