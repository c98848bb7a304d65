using System.Text.Json.Nodes;
using Resh.TestSupport;

namespace Resh.Handles.Tests.Plugin;

/// <summary>A private RESH_HOME (0700) per test and the sample plugins of Samples/ copied where a test may change them.</summary>
public sealed class PluginKit : IDisposable
{
    readonly TempDir _dir = new("plugin");

    public PluginKit()
    {
        Home = _dir["home"];
        Directory.CreateDirectory(Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Home { get; }
    public string Root => _dir.Path;
    public string this[string relative] => _dir[relative];

    public static string Samples => Path.Combine(ReshBinary.RepoRoot, "tests", "Resh.Handles.Tests", "Plugin", "Samples");

    public ReshRun Resh(params string[] args) => ReshBinary.Run(args.Append("--format").Append("json"), env: new Dictionary<string, string> { ["RESH_HOME"] = Home });

    public ReshRun Resh(string[] args, string? stdin, string? cwd = null, TimeSpan? wait = null) =>
        ReshBinary.Run(args, stdin: stdin, cwd: cwd, env: new Dictionary<string, string> { ["RESH_HOME"] = Home }, wait: wait);

    /// <summary>A copy of a sample (exec bits kept) under the test's directory.</summary>
    public string CopySample(string name)
    {
        var to = _dir[name];
        Shell.Run($"cp -a {Shell.Q(Path.Combine(Samples, name))} {Shell.Q(to)}");
        return to;
    }

    public ReshRun Install(string dir, params string[] more)
    {
        var run = Resh(["plugin://.install", $"from={dir}", .. more]);
        return run;
    }

    public void Dispose() => _dir.Dispose();
}

static class Json
{
    public static string S(JsonNode? n) => n!.GetValue<string>();
}
