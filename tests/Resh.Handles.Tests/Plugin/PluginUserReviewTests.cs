using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin;

/// <summary>
/// The s36 user review of plugin://, fixed in s37: an ndjson crash while a child holds the plugin's stdout is a crash
/// (not a timeout a minute later), timeouts do not use up the restart budget, the last restart says so, and a secret
/// argument too short to mask is announced.
/// </summary>
public sealed class PluginUserReviewTests : IDisposable
{
    readonly PluginKit _kit = new();
    public void Dispose() => _kit.Dispose();

    void InstallNd() => Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "nd")) is { Ok: true }, "install failed");

    Dictionary<int, JsonObject> Batch(params string[] lines)
    {
        var run = _kit.Resh(["batch"], string.Join("\n", lines) + "\n", wait: TimeSpan.FromSeconds(120));
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!)
            .ToDictionary(l => l["id"]!.GetValue<int>());
    }

    static string Line(int id, string stage, int? timeoutSeconds = null, JsonObject? args = null) =>
        new JsonObject { ["id"] = id, ["stage"] = stage, ["timeout"] = timeoutSeconds is { } t ? $"{t}s" : null, ["args"] = args }.ToJsonString();

    static string? Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>();
    static string Message(JsonObject env) => env["error"]!["message"]!.GetValue<string>();

    [Fact]
    public void A_crash_while_a_child_holds_stdout_is_reported_at_once_with_its_exit_code()
    {
        InstallNd();
        var pidfile = _kit["pids"];
        var clock = Stopwatch.StartNew();
        var byId = Batch(Line(1, "nd://a.spawn", args: new JsonObject { ["pidfile"] = pidfile }), Line(2, "nd://a.crash", timeoutSeconds: 30));
        Assert.True(byId[1]["ok"]!.GetValue<bool>(), byId[1].ToJsonString());
        // Before s37 this waited for the 30 s timeout: the sleep child kept the pipe open, so stdout never ended.
        Assert.Equal("unavailable", Code(byId[2]));
        Assert.Equal(7, byId[2]["error"]!["details"]!["exit_code"]!.GetValue<int>());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), clock.Elapsed.ToString());
        // The child in the plugin's process group went with it.
        var child = int.Parse(File.ReadAllText(pidfile).Split(' ')[1].Trim());
        Assert.True(PluginHostileTests.GoneSoon(child), $"the plugin's child {child} outlived resh");
    }

    [Fact]
    public void Timeouts_do_not_use_up_the_restart_budget()
    {
        InstallNd();
        // Five requests in a row that outlive their timeout: each kills the process, none counts as a crash.
        var lines = Enumerable.Range(1, 5).Select(i => Line(i, "nd://a.hang", timeoutSeconds: 1)).Append(Line(6, "nd://a.whoami")).ToArray();
        var byId = Batch(lines);
        Assert.All(Enumerable.Range(1, 5), i => Assert.Equal("timeout", Code(byId[i])));
        Assert.Contains("in this resh process", Message(byId[1]));
        Assert.True(byId[6]["ok"]!.GetValue<bool>(), byId[6].ToJsonString());
    }

    [Fact]
    public void The_crash_that_uses_the_last_restart_says_that_no_restart_follows()
    {
        InstallNd();
        var byId = Batch(Line(1, "nd://a.crash"), Line(2, "nd://a.crash"), Line(3, "nd://a.crash"), Line(4, "nd://a.crash"), Line(5, "nd://a.whoami"));
        foreach (var i in new[] { 1, 2, 3 })
        {
            Assert.Equal("unavailable", Code(byId[i]));
            Assert.Contains("starts it again", Message(byId[i]));
            Assert.True(byId[i]["error"]!["details"]!["transient"]!.GetValue<bool>());
        }
        Assert.Equal("unavailable", Code(byId[4]));
        Assert.Contains("not started again", Message(byId[4]));
        Assert.Null(byId[4]["error"]!["details"]!["transient"]);
        Assert.Contains("not started again", Message(byId[5]));
        Assert.Null(byId[5]["error"]!["details"]!["transient"]);
    }

    [Fact]
    public void A_secret_argument_too_short_to_mask_is_announced()
    {
        Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "sec")).Ok);
        var env = new Dictionary<string, string> { ["RESH_HOME"] = _kit.Home, ["T1"] = "1", ["T4"] = "abcd" };
        var shortRun = ReshBinary.Run(["sec://x.echo", "token=env:T1", "--format", "json"], env: env);
        Assert.True(shortRun.Ok, shortRun.ToString());
        var warnings = shortRun.Envelope["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Contains(warnings, w => w.Contains("shorter than 4 characters") && w.Contains("not masked"));
        var longRun = ReshBinary.Run(["sec://x.echo", "token=env:T4", "--format", "json"], env: env);
        Assert.Equal("***", longRun.Envelope["result"]!["echo"]!.GetValue<string>());
        Assert.DoesNotContain(longRun.Envelope["warnings"]?.AsArray() ?? [], w => w!.GetValue<string>().Contains("not masked"));
    }
}
