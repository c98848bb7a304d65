using System.Text.RegularExpressions;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>
/// docs/getting-started.md cannot rot: every command line of its sh blocks runs against the native binary, in
/// a private HOME, in order (the install lines, scripts/ and apt, are what DebPackageTests runs).
/// </summary>
public sealed class GuideTests
{
    static List<string> Commands(string doc) =>
        Regex.Matches(File.ReadAllText(Path.Combine(ReshBinary.RepoRoot, "docs", doc)), "```sh\n(.*?)```", RegexOptions.Singleline)
            .SelectMany(m => m.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Select(l => Regex.Replace(l, @"\s+# .*$", "").Trim())
            .Where(l => l.Length > 0 && !l.StartsWith("scripts/", StringComparison.Ordinal) && !l.StartsWith("apt ", StringComparison.Ordinal))
            .ToList();

    [Fact]
    public void Every_command_of_getting_started_runs_as_shown()
    {
        using var home = new TempDir("guide");
        var commands = Commands("getting-started.md");
        Assert.True(commands.Count >= 15, string.Join('\n', commands));
        var outputs = new List<ShellRun>();
        foreach (var command in commands)
        {
            // The page's scratch file goes into this test's own directory.
            var line = command.Replace("/tmp/resh-hello.txt", home["resh-hello.txt"]);
            var run = Shell.Run("set -o pipefail; resh() { \"$RESH\" \"$@\"; }; " + line, new Dictionary<string, string> { ["HOME"] = home.Path });
            Assert.True(run.ExitCode == 0, $"{command}\n{run}");
            outputs.Add(run);
        }
        string Out(string start) => outputs[commands.FindIndex(c => c.StartsWith(start, StringComparison.Ordinal))].Stdout;
        Assert.Contains("\"changed\":false", Out("resh file:///tmp/resh-hello.txt.write content=hello --format json"));
        var error = Out("resh file:///nonexistent.read");
        Assert.Contains("\"code\":\"not_found\"", error);
        Assert.Contains("exit 3", error);
        Assert.StartsWith("{\n  \"ok\": true", Out("resh system://.hostname")); // the config's format = "json-pretty"
        Assert.False(File.Exists(home["resh-hello.txt"]));
    }
}
