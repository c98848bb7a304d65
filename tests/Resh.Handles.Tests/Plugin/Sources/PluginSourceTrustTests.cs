using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin.Sources;

/// <summary>
/// Review s35 (P1–P3): which install sources carry trust. A bare NAME is the registry's even when a directory of that
/// name is in the current directory; as root a source another user owns or may write is refused; update does not
/// re-read a local directory or archive (whoever re-creates the path would choose the code); a plain-http archive
/// needs sha256= or force=true.
/// </summary>
[Collection("plugin-registry")]
public sealed class PluginSourceTrustTests(RegistryServer server)
{
    static ReshRun ReshIn(SourceKit kit, string cwd, params string[] args) =>
        ReshBinary.Run(args.Append("--format").Append("json"), cwd: cwd, env: new Dictionary<string, string> { ["RESH_HOME"] = kit.Home });

    [Fact]
    public void P1_a_bare_name_is_the_registry_even_with_a_directory_of_that_name_in_the_current_directory()
    {
        using var kit = new SourceKit();
        var reg = new TestRegistry(server, "t" + Guid.NewGuid().ToString("N")[..8]);
        reg.AddVersion("1.0.0");
        reg.Publish(server.KeyPem);
        var cwd = kit["cwd"];
        Pack.Sample(cwd, "9.9.9"); // cwd/hello-bash: what another user could drop into a shared directory

        var byName = ReshIn(kit, cwd, "plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", $"key={server.PublicKey}");
        Assert.Equal("1.0.0", kit.Ok(byName)["version"]!.GetValue<string>());
        Assert.Equal("registry", JsonNode.Parse(File.ReadAllText(Path.Combine(kit.Home, "plugins", ".state", "hello-bash.json")))!["source"]!["kind"]!.GetValue<string>());

        // The path form names the local directory.
        Assert.Equal("9.9.9", kit.Ok(ReshIn(kit, cwd, "plugin://.install", "from=./hello-bash"))["version"]!.GetValue<string>());

        // A bare word that is no plugin name is not taken as a file here either.
        Pack.TarGz(Path.Combine(cwd, "hello-bash"), Path.Combine(cwd, "hb.tgz"), topFolder: true);
        var bare = ReshIn(kit, cwd, "plugin://.install", "from=hb.tgz", "force=true");
        kit.Fails(bare, "usage", 2);
        Assert.Contains("./hb.tgz", bare.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("chown -R 65534")]
    [InlineData("chmod -R g+w")]
    public void P1_as_root_a_source_directory_another_user_owns_or_may_write_is_refused_without_force(string change)
    {
        Assert.Equal("0", RegistryServer.Sh("id -u"));
        using var kit = new SourceKit();
        var src = Pack.Sample(kit["nb"], "1.0.0");
        RegistryServer.Sh($"{change} {Shell.Q(src)}");
        var run = kit.Resh("plugin://.install", $"from={src}");
        kit.Fails(run, "permission_denied", 4);
        Assert.Contains("another user can change", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Null(kit.Installed());

        // The same as an archive file.
        var archive = kit["nb.tgz"];
        Pack.TarGz(src, archive, topFolder: true);
        RegistryServer.Sh($"{change} {Shell.Q(archive)}");
        kit.Fails(kit.Resh("plugin://.install", $"from={archive}"), "permission_denied", 4);
        Assert.Null(kit.Installed());

        kit.Ok(kit.Resh("plugin://.install", $"from={src}", "force=true"));
        Assert.Equal("1.0.0", kit.Installed());
    }

    [Fact]
    public void P2_update_skips_a_local_directory_source_with_a_warning_unless_forced()
    {
        using var kit = new SourceKit();
        var src = Pack.Sample(kit["s"], "1.0.0");
        kit.Ok(kit.Resh("plugin://.install", $"from={src}"));
        Pack.Sample(kit["s"], "2.0.0"); // someone re-creates the recorded path with other code

        var up = kit.Resh("plugin://.update");
        var r = kit.Ok(up);
        Assert.False(up.Changed, up.ToString());
        Assert.Equal("skipped", r["plugins"]![0]!["action"]!.GetValue<string>());
        Assert.Contains(up.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("reinstall with plugin://.install"));
        Assert.Equal("1.0.0", kit.Installed());
        var one = kit.Resh("plugin://hello-bash.update");
        Assert.False(kit.Ok(one) is null || one.Changed, one.ToString());
        Assert.Equal("1.0.0", kit.Installed());

        var forced = kit.Resh("plugin://hello-bash.update", "force=true");
        Assert.True(forced.Changed, forced.ToString());
        Assert.Equal("2.0.0", kit.Installed());
    }

    [Fact]
    public void P3_a_plain_http_archive_needs_sha256_or_force_and_a_wrong_sha256_is_refused()
    {
        using var kit = new SourceKit();
        var dir = Directory.CreateDirectory(Path.Combine(server.Www, "h" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var archive = Path.Combine(dir, "hello-bash.tar.gz");
        Pack.TarGz(Pack.Sample(Path.Combine(dir, "v1"), "1.0.0"), archive, topFolder: true);
        var url = server.Url(Path.GetFileName(dir) + "/hello-bash.tar.gz");
        var sha = Pack.Sha256(archive);

        var plain = kit.Resh("plugin://.install", $"from={url}");
        kit.Fails(plain, "permission_denied", 4);
        Assert.Contains("sha256=", plain.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.Null(kit.Installed());

        var wrong = kit.Resh("plugin://.install", $"from={url}", $"sha256={new string('0', 64)}");
        kit.Fails(wrong, "permission_denied", 4);
        Assert.Null(kit.Installed());
        kit.Fails(kit.Resh("plugin://.install", $"from={archive}", $"sha256={new string('0', 64)}"), "permission_denied", 4);
        kit.Fails(kit.Resh("plugin://.install", $"from={Path.Combine(dir, "v1", "hello-bash")}", $"sha256={sha}"), "usage", 2);
        Assert.Null(kit.Installed());

        var pinned = kit.Resh("plugin://.install", $"from={url}", $"sha256=sha256:{sha}");
        Assert.Equal("1.0.0", kit.Ok(pinned)["version"]!.GetValue<string>());
        Assert.Empty(pinned.Envelope["warnings"]!.AsArray());
    }
}
