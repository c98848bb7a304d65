using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin.Sources;

/// <summary>plugin://.install from a signed registry index on loopback, update and search: signature, sha256 and version rules.</summary>
[Collection("plugin-registry")]
public sealed class PluginRegistrySourceTests(RegistryServer server)
{
    TestRegistry NewRegistry() => new(server, "r" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void Install_by_name_takes_the_highest_release_and_update_moves_to_a_newer_one()
    {
        using var kit = new SourceKit();
        var reg = NewRegistry();
        reg.AddVersion("1.0.0");
        reg.Publish(server.KeyPem);

        var install = kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", $"key={server.PublicKey}");
        var r = kit.Ok(install);
        Assert.True(install.Changed);
        Assert.Equal("1.0.0", r["version"]!.GetValue<string>());
        Assert.Empty(install.Envelope["warnings"]!.AsArray());
        // The installed plugin answers.
        var greet = kit.Ok(kit.Resh("hellob://world.greet", "name=ann"));
        Assert.Equal("hello ann from world", greet["message"]!.GetValue<string>());

        // Nothing newer: update is unchanged; the key recorded at install is trusted again (no key= needed).
        var same = kit.Resh("plugin://hello-bash.update");
        Assert.False(same.Changed, same.ToString());
        Assert.Equal("up_to_date", kit.Ok(same)["plugins"]![0]!["action"]!.GetValue<string>());

        // The publisher adds 1.2.0 and a 1.3.0 pre-release: the release is the one taken.
        reg.AddVersion("1.2.0");
        reg.AddVersion("1.3.0-beta.1");
        reg.Publish(server.KeyPem);
        var dry = kit.Resh("plugin://hello-bash.update", "--dry-run");
        Assert.True(dry.Changed, dry.ToString());
        var planned = kit.Ok(dry)["plugins"]![0]!;
        Assert.Equal("would_update", planned["action"]!.GetValue<string>());
        Assert.Equal("1.0.0", planned["from"]!.GetValue<string>());
        Assert.Equal("1.2.0", planned["to"]!.GetValue<string>());
        Assert.Equal("1.0.0", kit.Installed()); // the dry run changed nothing

        var up = kit.Resh("plugin://hello-bash.update");
        Assert.True(up.Changed, up.ToString());
        Assert.Equal("updated", kit.Ok(up)["plugins"]![0]!["action"]!.GetValue<string>());
        Assert.Equal("1.2.0", kit.Installed());
        var again = kit.Resh("plugin://.update");
        Assert.False(again.Changed, again.ToString());
        Assert.Equal(0, kit.Ok(again)["updated"]!.GetValue<int>());
    }

    [Fact]
    public void Version_selects_an_exact_version_and_an_unknown_one_is_not_found()
    {
        using var kit = new SourceKit();
        var reg = NewRegistry();
        reg.AddVersion("1.0.0");
        reg.AddVersion("2.0.0");
        reg.Publish(server.KeyPem);
        var old = kit.Resh("plugin://.install", "from=registry:hello-bash", $"registry={reg.IndexUrl}", $"key={server.PublicKey}", "version=1.0.0");
        Assert.Equal("1.0.0", kit.Ok(old)["version"]!.GetValue<string>());

        var missing = kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", $"key={server.PublicKey}", "version=9.9.9");
        kit.Fails(missing, "not_found", 3);
        Assert.Contains("2.0.0", missing.Envelope["error"]!["hint"]!.GetValue<string>());

        var unknown = kit.Resh("plugin://.install", "from=hello-bsh", $"registry={reg.IndexUrl}", $"key={server.PublicKey}");
        kit.Fails(unknown, "not_found", 3);
        Assert.Contains("hello-bash", unknown.Envelope["error"]!["hint"]!.GetValue<string>()); // did you mean
    }

    [Fact]
    public void A_tampered_archive_is_refused_and_installs_only_with_force_and_a_warning()
    {
        using var kit = new SourceKit();
        var reg = NewRegistry();
        var archive = reg.AddVersion("1.0.0");
        reg.Publish(server.KeyPem);
        // Someone replaces the archive on the server after the index was signed.
        var evil = Pack.Sample(kit["evil"], "1.0.0");
        File.AppendAllText(Path.Combine(evil, "plugin.json"), " ");
        Pack.TarGz(evil, archive, topFolder: true);

        var run = kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", $"key={server.PublicKey}");
        kit.Fails(run, "permission_denied", 4);
        Assert.Contains("sha256", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(Pack.Sha256(archive), run.Envelope["error"]!["details"]!["actual"]!.GetValue<string>());
        Assert.Null(kit.Installed());

        var forced = kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", $"key={server.PublicKey}", "force=true");
        kit.Ok(forced);
        Assert.Contains(forced.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("sha256"));
        Assert.Equal("1.0.0", kit.Installed());
    }

    [Fact]
    public void A_bad_signature_a_wrong_key_or_a_garbage_signature_file_is_refused()
    {
        using var kit = new SourceKit();
        var reg = NewRegistry();
        reg.AddVersion("1.0.0");
        reg.Publish(server.KeyPem);

        // Signed by another key than the one trusted.
        var wrongKey = kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", $"key={server.OtherPublicKey}");
        kit.Fails(wrongKey, "permission_denied", 4);
        Assert.Contains("does not verify", wrongKey.Envelope["error"]!["message"]!.GetValue<string>());

        // The index changed after signing (one byte: a version URL pointed elsewhere).
        var text = File.ReadAllText(reg.IndexPath);
        File.WriteAllText(reg.IndexPath, text.Replace("Sample bash", "Sample bosh"));
        var changed = kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", $"key={server.PublicKey}");
        kit.Fails(changed, "permission_denied", 4);

        File.WriteAllText(reg.IndexPath + ".sig", "not a signature");
        var garbage = kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", $"key={server.PublicKey}");
        kit.Fails(garbage, "permission_denied", 4);
        Assert.Null(kit.Installed());

        // A key that is not a key is a usage error, before anything is fetched.
        kit.Fails(kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", "key=ed25519:AAAA"), "usage", 2);
    }

    [Fact]
    public void An_unsigned_index_is_refused_and_accepted_with_force_and_a_warning()
    {
        using var kit = new SourceKit();
        var reg = NewRegistry();
        reg.AddVersion("1.0.0");
        reg.Publish(signWith: null);
        var run = kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", $"key={server.PublicKey}");
        kit.Fails(run, "permission_denied", 4);
        Assert.Contains("not signed", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Null(kit.Installed());

        var forced = kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", "force=true");
        kit.Ok(forced);
        Assert.Contains(forced.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("not signed"));
        Assert.Equal("1.0.0", kit.Installed());
    }

    [Fact]
    public void The_config_names_the_registry_and_its_keys_and_search_lists_the_verified_index()
    {
        using var kit = new SourceKit();
        var reg = NewRegistry();
        reg.AddVersion("1.0.0");
        reg.AddVersion("1.1.0");
        reg.Publish(server.KeyPem);
        kit.Config = kit["config.toml"];
        File.WriteAllText(kit.Config, $"[plugin]\nregistry = \"{reg.IndexUrl}\"\ntrusted_keys = [\"{server.OtherPublicKey}\", \"{server.PublicKey}\"]\n");

        var search = kit.Ok(kit.Resh("plugin://.search"));
        Assert.True(search["verified"]!.GetValue<bool>());
        Assert.Equal(2, search["count"]!.GetValue<int>());
        var hb = search["plugins"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "hello-bash")!;
        Assert.Equal("1.1.0", hb["latest"]!.GetValue<string>());
        Assert.Null(hb["installed"]);
        Assert.Equal(1, kit.Ok(kit.Resh("plugin://.search", "query=another"))["count"]!.GetValue<int>());

        var install = kit.Resh("plugin://.install", "from=hello-bash");
        Assert.Equal("1.1.0", kit.Ok(install)["version"]!.GetValue<string>());
        Assert.Equal("1.1.0", kit.Ok(kit.Resh("plugin://.search", "query=hello"))["plugins"]![0]!["installed"]!.GetValue<string>());
    }

    [Fact]
    public void Redirects_are_followed_on_the_same_host_only()
    {
        using var kit = new SourceKit();
        var reg = NewRegistry();
        reg.AddVersion("1.0.0");
        reg.Publish(server.KeyPem);
        var name = Path.GetFileName(reg.Dir);
        var viaRedirect = kit.Resh("plugin://.install", "from=hello-bash", $"registry={server.Url("redirect/" + name + "/index.json")}", $"key={server.PublicKey}");
        kit.Ok(viaRedirect);

        using var kit2 = new SourceKit();
        var away = kit2.Resh("plugin://.install", "from=hello-bash", $"registry={server.Url("away/" + name + "/index.json")}", $"key={server.PublicKey}");
        kit2.Fails(away, "permission_denied", 4);
        Assert.Contains("another host", away.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Null(kit2.Installed());
    }

    [Fact]
    public void No_registry_a_dead_server_and_a_non_index_are_clear_errors()
    {
        using var kit = new SourceKit();
        var none = kit.Resh("plugin://.install", "from=hello-bash");
        kit.Fails(none, "usage", 2);
        Assert.Contains("registry", none.Envelope["error"]!["hint"]!.GetValue<string>());

        var dead = LoopbackPorts.Free(1)[0];
        kit.Fails(kit.Resh("plugin://.install", "from=hello-bash", $"registry=http://127.0.0.1:{dead}/index.json", $"key={server.PublicKey}"), "unavailable", 7);
        kit.Fails(kit.Resh("plugin://.install", "from=hello-bash", $"registry={server.Url("nope/index.json")}", $"key={server.PublicKey}"), "not_found", 3);
        kit.Fails(kit.Resh("plugin://.install", "from=hello-bash", "registry=ftp://example.org/index.json"), "usage", 2);

        var reg = NewRegistry();
        File.WriteAllText(reg.IndexPath, "<html>not json</html>");
        RegistryServer.Sh($"openssl pkeyutl -sign -rawin -inkey {Shell.Q(server.KeyPem)} -in {Shell.Q(reg.IndexPath)} | base64 -w0 > {Shell.Q(reg.IndexPath + ".sig")}");
        kit.Fails(kit.Resh("plugin://.install", "from=hello-bash", $"registry={reg.IndexUrl}", $"key={server.PublicKey}"), "failed", 1);
    }

    [Fact]
    public void A_server_that_never_answers_is_bounded_by_timeout_and_a_huge_index_is_refused()
    {
        using var kit = new SourceKit();
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<System.Net.Sockets.Socket>();
        var accept = Task.Run(async () => { try { while (true) held.Add(await silent.AcceptSocketAsync()); } catch (Exception) { } });
        try
        {
            var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var run = kit.Resh("plugin://.install", "from=hello-bash", $"registry=http://127.0.0.1:{port}/index.json", $"key={server.PublicKey}", "--timeout", "2s");
            Assert.Equal("timeout", run.ErrorCode);
            Assert.Equal(6, run.ExitCode);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        }
        finally
        {
            silent.Stop();
            foreach (var s in held) s.Dispose();
        }

        var reg = NewRegistry();
        File.WriteAllText(reg.IndexPath, "{\"plugins\":[]," + new string(' ', 5 << 20) + "}");
        var huge = kit.Resh("plugin://.search", $"registry={reg.IndexUrl}", "force=true");
        kit.Fails(huge, "failed", 1);
        Assert.Contains("larger than", huge.Envelope["error"]!["message"]!.GetValue<string>());
    }
}
