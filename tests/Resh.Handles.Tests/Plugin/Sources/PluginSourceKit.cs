using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin.Sources;

/// <summary>
/// A static plugin registry on loopback for the source tests: tests/setup/plugin-registry.py serves Www on a free port
/// (started once per run, stopped by PID), and an Ed25519 signing key made with openssl (the way docs/plugins.md tells a
/// publisher to sign). Each test publishes into its own sub-directory, so tests do not see each other's indexes.
/// </summary>
public sealed class RegistryServer : IDisposable
{
    readonly TempDir _dir = new("plugreg");
    readonly int _pid;

    public RegistryServer()
    {
        Www = _dir["www"];
        Directory.CreateDirectory(Www);
        Port = LoopbackPorts.Free(1)[0];
        KeyPem = _dir["key.pem"];
        OtherKeyPem = _dir["other.pem"];
        Sh($"openssl genpkey -algorithm ed25519 -out {Shell.Q(KeyPem)} && openssl genpkey -algorithm ed25519 -out {Shell.Q(OtherKeyPem)}");
        PublicKey = "ed25519:" + Sh($"openssl pkey -in {Shell.Q(KeyPem)} -pubout -outform DER | tail -c 32 | base64 -w0");
        OtherPublicKey = "ed25519:" + Sh($"openssl pkey -in {Shell.Q(OtherKeyPem)} -pubout -outform DER | tail -c 32 | base64 -w0");
        var pidFile = _dir["server.pid"];
        var script = Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "plugin-registry.py");
        Sh($"setsid /usr/bin/python3 {Shell.Q(script)} {Shell.Q(Www)} {Port} {Shell.Q(pidFile)} >/dev/null 2>&1 < /dev/null &");
        for (var i = 0; i < 200 && !(File.Exists(pidFile) && Listening()); i++) Thread.Sleep(50);
        if (!File.Exists(pidFile)) throw new InvalidOperationException("tests/setup/plugin-registry.py did not start");
        _pid = int.Parse(File.ReadAllText(pidFile).Trim());
    }

    bool Listening()
    {
        try { using var c = new System.Net.Sockets.TcpClient("127.0.0.1", Port); return true; }
        catch (System.Net.Sockets.SocketException) { return false; }
    }

    public string Www { get; }
    public int Port { get; }
    public string KeyPem { get; }
    public string OtherKeyPem { get; }
    public string PublicKey { get; }
    public string OtherPublicKey { get; }
    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    public void Dispose()
    {
        try { System.Diagnostics.Process.GetProcessById(_pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        _dir.Dispose();
    }

    public static string Sh(string script)
    {
        var run = Shell.Run(script);
        if (run.ExitCode != 0) throw new InvalidOperationException(run.ToString());
        return run.Stdout.Trim();
    }
}

[CollectionDefinition("plugin-registry")]
public sealed class PluginRegistryCollection : ICollectionFixture<RegistryServer>;

/// <summary>One test's registry: archives of the sample bash plugin at chosen versions, an index, its signature.</summary>
public sealed class TestRegistry(RegistryServer server, string name)
{
    public string Dir { get; } = Directory.CreateDirectory(Path.Combine(server.Www, name)).FullName;
    public string IndexUrl => server.Url(name + "/index.json");
    public string IndexPath => Path.Combine(Dir, "index.json");
    readonly List<(string Version, string File, string Sha)> _versions = [];

    /// <summary>Packs the sample at <paramref name="version"/> (tar.gz with a top folder) and lists it.</summary>
    public string AddVersion(string version, string? work = null)
    {
        var src = Pack.Sample(Path.Combine(Dir, "src-" + version), version);
        var file = Path.Combine(Dir, $"hello-bash-{version}.tar.gz");
        Pack.TarGz(src, file, topFolder: true);
        _versions.Add((version, Path.GetFileName(file), Pack.Sha256(file)));
        return file;
    }

    /// <summary>Writes index.json (relative archive URLs) and, unless <paramref name="sign"/> is null, index.json.sig with that key.</summary>
    public void Publish(string? signWith)
    {
        var versions = new JsonArray(_versions.Select(v => (JsonNode?)new JsonObject { ["version"] = v.Version, ["url"] = v.File, ["sha256"] = v.Sha }).ToArray());
        var index = new JsonObject
        {
            ["plugins"] = new JsonArray(
                new JsonObject { ["name"] = "hello-bash", ["summary"] = "Sample bash plugin: greets.", ["versions"] = versions },
                new JsonObject { ["name"] = "other-tool", ["summary"] = "Another entry.", ["versions"] = new JsonArray() }),
        };
        File.WriteAllText(IndexPath, index.ToJsonString());
        var sig = IndexPath + ".sig";
        if (signWith is null) File.Delete(sig);
        else RegistryServer.Sh($"openssl pkeyutl -sign -rawin -inkey {Shell.Q(signWith)} -in {Shell.Q(IndexPath)} | base64 -w0 > {Shell.Q(sig)}");
    }
}

static class Pack
{
    public static string SampleDir => Path.Combine(PluginKit.Samples, "hello-bash");

    /// <summary>A copy of the sample bash plugin (name hello-bash, scheme hellob) at <paramref name="version"/>, in PARENT/hello-bash.</summary>
    public static string Sample(string parent, string version)
    {
        Directory.CreateDirectory(parent);
        var dir = Path.Combine(parent, "hello-bash");
        RegistryServer.Sh($"rm -rf {Shell.Q(dir)} && cp -a {Shell.Q(SampleDir)} {Shell.Q(dir)}");
        var manifest = Path.Combine(dir, "plugin.json");
        var json = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        json["version"] = version;
        File.WriteAllText(manifest, json.ToJsonString());
        return dir;
    }

    public static void TarGz(string pluginDir, string file, bool topFolder) =>
        RegistryServer.Sh(topFolder
            ? $"tar -czf {Shell.Q(file)} -C {Shell.Q(Path.GetDirectoryName(pluginDir)!)} {Shell.Q(Path.GetFileName(pluginDir))}"
            : $"tar -czf {Shell.Q(file)} -C {Shell.Q(pluginDir)} .");

    public static void Zip(string pluginDir, string file) =>
        RegistryServer.Sh($"cd {Shell.Q(Path.GetDirectoryName(pluginDir)!)} && zip -qr {Shell.Q(file)} {Shell.Q(Path.GetFileName(pluginDir))}");

    public static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    /// <summary>
    /// A .tar.gz holding the sample plus one hostile entry made by Python's tarfile (tar itself will not write them):
    /// kind "dotdot" (NAME = ../../X), "absolute" (/X) or "symlink" (hello-bash/link → ../../X, then hello-bash/link/f).
    /// </summary>
    public static void Hostile(string pluginDir, string file, string kind, string escapeTarget)
    {
        var py = $$"""
import io, tarfile, sys
src, out, kind, target = sys.argv[1:5]
with tarfile.open(out, "w:gz") as t:
    t.add(src, arcname="hello-bash")
    def add(name, data=b"pwned\n"):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    if kind == "dotdot": add("hello-bash/../../../../../../.." + target)
    elif kind == "absolute": add(target)
    elif kind == "symlink":
        l = tarfile.TarInfo("hello-bash/link"); l.type = tarfile.SYMTYPE; l.linkname = "../../../../../../.." + target.rsplit("/", 1)[0]; t.addfile(l)
        add("hello-bash/link/" + target.rsplit("/", 1)[1])
""";
        var script = file + ".py";
        File.WriteAllText(script, py);
        RegistryServer.Sh($"/usr/bin/python3 {Shell.Q(script)} {Shell.Q(pluginDir)} {Shell.Q(file)} {kind} {Shell.Q(escapeTarget)}");
    }
}

/// <summary>Runs resh with a private RESH_HOME (and optionally a config file).</summary>
public sealed class SourceKit : IDisposable
{
    readonly PluginKit _kit = new();
    public string Home => _kit.Home;
    public string this[string relative] => _kit[relative];
    public string? Config { get; set; }

    public ReshRun Resh(params string[] args)
    {
        var env = new Dictionary<string, string> { ["RESH_HOME"] = Home };
        if (Config is not null) env["RESH_CONFIG"] = Config;
        return ReshBinary.Run(args.Append("--format").Append("json"), env: env);
    }

    public JsonNode Ok(ReshRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!;
    }

    public void Fails(ReshRun run, string code, int exit)
    {
        Assert.Equal(exit, run.ExitCode);
        Assert.Equal(code, run.ErrorCode);
        Assert.False(string.IsNullOrEmpty(run.Envelope["error"]!["hint"]?.GetValue<string>()), run.ToString());
        Assert.DoesNotContain("   at ", run.Stdout + run.Stderr); // no stack trace
    }

    /// <summary>The installed version of hello-bash, or null.</summary>
    public string? Installed()
    {
        var list = Ok(Resh("plugin://.list"))["plugins"]!.AsArray();
        return list.FirstOrDefault(p => p!["name"]!.GetValue<string>() == "hello-bash")?["version"]?.GetValue<string>();
    }

    public void Dispose() => _kit.Dispose();
}
