using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>
/// One private state directory (RESH_HOME) per test, and runs of the native binary in it: as root, or as
/// nobody (uid 65534) with a state directory nobody owns. Every run's output is kept for canary searches.
/// </summary>
internal sealed class SecretKit : IDisposable
{
    readonly TempDir _dir = new("secret");
    readonly Dictionary<string, string> _env = new();

    public SecretKit(bool asNobody = false)
    {
        AsNobody = asNobody;
        Home = Path.Combine(_dir.Path, "home");
        Directory.CreateDirectory(Home);
        if (asNobody)
        {
            // nobody must reach its files: open the temp dir for traversal and give it the home.
            File.SetUnixFileMode(_dir.Path, (UnixFileMode)0x1ED); // 0755
            Sh.Ok("chown", "-R", "65534:65534", Home);
        }
        _env["RESH_HOME"] = Home;
        _env["HOME"] = Home;
        _env["RESH_SECRET_PASSPHRASE"] = "";
        _env["RESH_SECRET_KEY_FILE"] = "";
    }

    public bool AsNobody { get; }
    public string Home { get; }
    public string SecretsDir => Path.Combine(Home, "secrets");
    public string Keystore => Path.Combine(SecretsDir, "local.keystore");
    public string KeyFile => Path.Combine(SecretsDir, "local.key");
    public string Temp => _dir.Path;
    public List<ReshRun> Runs { get; } = [];

    public SecretKit Env(string name, string value)
    {
        _env[name] = value;
        return this;
    }

    public ReshRun Run(params string[] args) => Run(args, null);

    public ReshRun Run(string[] args, string? stdin, IDictionary<string, string>? extraEnv = null)
    {
        var env = new Dictionary<string, string>(_env);
        if (extraEnv is not null) foreach (var (k, v) in extraEnv) env[k] = v;
        var run = AsNobody || Detached ? RunWrapped(args, stdin, env) : ReshBinary.Run(args, stdin, env: env);
        Runs.Add(run);
        return run;
    }

    public ReshRun Stdin(string stdin, params string[] args) => Run(args, stdin);

    /// <summary>Runs in a new session (setsid): no controlling terminal, so nothing can prompt.</summary>
    public bool Detached { get; set; }

    ReshRun RunWrapped(string[] args, string? stdin, IDictionary<string, string> env)
    {
        var argv = new List<string>();
        if (Detached) argv.AddRange(["setsid", "-w"]);
        if (AsNobody) argv.AddRange(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        argv.Add(ReshBinary.Path);
        argv.AddRange(args);
        var psi = new ProcessStartInfo(argv[0])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment.Remove("RESH_CONFIG");
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var outTask = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var errTask = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"resh {string.Join(' ', args)} did not finish"); }
        outTask.Wait();
        var bytes = stdout.ToArray();
        return new ReshRun(p.ExitCode, Encoding.UTF8.GetString(bytes), errTask.Result, bytes);
    }

    public static JsonNode Ok(ReshRun run, bool? changed = null)
    {
        Assert.True(run.ExitCode == 0 && run.Ok, run.ToString());
        if (changed is { } c) Assert.True(c == run.Changed, $"expected changed={c}\n{run}");
        return run.Result!;
    }

    public static JsonObject Fails(ReshRun run, string code)
    {
        Assert.False(run.Ok, run.ToString());
        Assert.Equal(code, run.ErrorCode);
        Assert.Null(run.Result);
        Assert.NotNull(run.Envelope["error"]!["hint"]);
        return (JsonObject)run.Envelope["error"]!;
    }

    public static string Canary() => "canary-" + Guid.NewGuid().ToString("N");

    public static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);

    public void Dispose() => _dir.Dispose();
}
