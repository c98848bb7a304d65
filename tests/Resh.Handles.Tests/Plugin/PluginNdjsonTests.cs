using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin;

/// <summary>
/// Issue 17's long-lived plugin mode (manifest "mode": "ndjson"): one process per resh run answers a request per line
/// (id-matched); a crash fails the request in flight with unavailable and the next call restarts it (bounded); a hang
/// is bounded by the per-request timeout; garbage and a wrong id stop the process; stderr reaches the details.
/// </summary>
public sealed class PluginNdjsonTests : IDisposable
{
    readonly PluginKit _kit = new();
    public void Dispose() => _kit.Dispose();

    void InstallNd() => Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "nd")) is { Ok: true } r, "install failed");

    List<JsonObject> Batch(params string[] lines)
    {
        var run = _kit.Resh(["batch"], string.Join("\n", lines) + "\n", wait: TimeSpan.FromSeconds(90));
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
    }

    static string Line(int id, string stage, int? timeoutSeconds = null) =>
        new JsonObject { ["id"] = id, ["stage"] = stage, ["timeout"] = timeoutSeconds is { } t ? $"{t}s" : null }.ToJsonString();

    static string? Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>();

    [Fact]
    public void One_process_answers_every_call_of_a_batch()
    {
        InstallNd();
        var lines = Batch(Line(1, "nd://a.whoami"), Line(2, "nd://b.whoami"), Line(3, "nd://c.fail"), Line(4, "nd://d.whoami"));
        Assert.Equal(4, lines.Count);
        var ok = lines.Where(l => l["ok"]!.GetValue<bool>()).ToList();
        Assert.Equal(3, ok.Count);
        Assert.Single(ok.Select(l => l["result"]!["pid"]!.GetValue<int>()).Distinct());
        Assert.Equal([1, 2, 4], ok.Select(l => l["result"]!["count"]!.GetValue<int>()).Order().ToArray());
        Assert.Equal("ndjson", ok[0]["result"]!["mode"]!.GetValue<string>());
        var fail = lines.Single(l => !l["ok"]!.GetValue<bool>());
        Assert.Equal("conflict", Code(fail));
        Assert.Equal("It failed on purpose.", fail["error"]!["message"]!.GetValue<string>());
        // The process does not outlive resh.
        var pid = ok[0]["result"]!["pid"]!.GetValue<int>();
        Assert.True(PluginHostileTests.GoneSoon(pid), $"the ndjson plugin {pid} outlived resh");
    }

    [Fact]
    public void A_crash_fails_the_call_in_flight_with_unavailable_and_the_next_call_restarts_it_a_bounded_number_of_times()
    {
        InstallNd();
        var lines = Batch(Line(1, "nd://a.whoami"), Line(2, "nd://a.crash"), Line(3, "nd://a.whoami"),
            Line(4, "nd://a.crash"), Line(5, "nd://a.crash"), Line(6, "nd://a.crash"), Line(7, "nd://a.crash"), Line(8, "nd://a.whoami"));
        Assert.Equal(8, lines.Count);
        var byId = lines.ToDictionary(l => l["id"]!.GetValue<int>());
        Assert.True(byId[1]["ok"]!.GetValue<bool>());
        Assert.Equal("unavailable", Code(byId[2]));
        var details = byId[2]["error"]!["details"]!;
        Assert.Equal(7, details["exit_code"]!.GetValue<int>());
        Assert.Contains("crashing now", details["stderr_tail"]!.GetValue<string>());
        Assert.True(byId[3]["ok"]!.GetValue<bool>(), byId[3].ToJsonString());
        Assert.NotEqual(byId[1]["result"]!["pid"]!.GetValue<int>(), byId[3]["result"]!["pid"]!.GetValue<int>());
        Assert.Equal(1, byId[3]["result"]!["count"]!.GetValue<int>());
        // Call 3 was answered by a process that lived on, which resets the count: the crashes of 4 (that process), 5, 6
        // and 7 (three restarts in a row) leave no restart for 8.
        Assert.All(new[] { 4, 5, 6, 7 }, i => Assert.Equal("unavailable", Code(byId[i])));
        Assert.Equal("unavailable", Code(byId[8]));
        Assert.Contains("not started again", byId[8]["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("   at ", string.Join("\n", lines.Select(l => l.ToJsonString())));
    }

    [Fact]
    public void A_hang_is_bounded_by_the_request_timeout_and_the_next_call_gets_a_new_process()
    {
        InstallNd();
        var clock = Stopwatch.StartNew();
        var lines = Batch(Line(1, "nd://a.whoami"), Line(2, "nd://a.hang", timeoutSeconds: 2), Line(3, "nd://a.whoami"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40), clock.Elapsed.ToString());
        var byId = lines.ToDictionary(l => l["id"]!.GetValue<int>());
        Assert.Equal("timeout", Code(byId[2]));
        Assert.True(byId[2]["error"]!["details"]!["killed"]!.GetValue<bool>());
        var first = byId[1]["result"]!["pid"]!.GetValue<int>();
        Assert.True(PluginHostileTests.GoneSoon(first), "the hung plugin still runs");
        Assert.True(byId[3]["ok"]!.GetValue<bool>(), byId[3].ToJsonString());
        Assert.NotEqual(first, byId[3]["result"]!["pid"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("garbage", "not a JSON object")]
    [InlineData("wrongid", "answered id -5")]
    public void Garbage_or_a_wrong_id_is_failed_and_stops_the_process(string verb, string said)
    {
        InstallNd();
        var lines = Batch(Line(1, "nd://a.whoami"), Line(2, $"nd://a.{verb}"), Line(3, "nd://a.whoami"));
        var byId = lines.ToDictionary(l => l["id"]!.GetValue<int>());
        Assert.Equal("failed", Code(byId[2]));
        Assert.Contains(said, byId[2]["error"]!["message"]!.GetValue<string>());
        // Request ids are random (s36 attacker #12): the plugin logged the one in details.
        var requestId = byId[2]["error"]!["details"]!["request_id"]!.GetValue<long>();
        Assert.Contains($"request {requestId}: {verb}", byId[2]["error"]!["details"]!["stderr_tail"]!.GetValue<string>());
        Assert.NotEqual(byId[1]["result"]!["pid"]!.GetValue<int>(), byId[3]["result"]!["pid"]!.GetValue<int>());
    }

    [Fact]
    public void A_single_call_works_and_test_runs_the_examples_in_one_process()
    {
        InstallNd();
        var one = _kit.Resh("nd://x.whoami");
        Assert.True(one.Ok, one.ToString());
        Assert.Equal(1, one.Envelope["result"]!["count"]!.GetValue<int>());
        Assert.True(PluginHostileTests.GoneSoon(one.Envelope["result"]!["pid"]!.GetValue<int>()));
        var test = _kit.Resh("plugin://nd.test");
        Assert.True(test.Ok, test.ToString());
        var cases = test.Envelope["result"]!["cases"]!.AsArray();
        Assert.Equal(2, cases.Count);
        Assert.All(cases, c => Assert.True(c!["passed"]!.GetValue<bool>(), c.ToJsonString()));
        Assert.Equal([1, 2], cases.Select(c => c!["result"]!["count"]!.GetValue<int>()).ToArray());
    }

    [Fact]
    public void The_ndjson_scaffold_passes_its_own_test_and_other_languages_say_it_is_python_only()
    {
        var dir = _kit["greeter"];
        var made = _kit.Resh("plugin://.new", "name=greeter", "language=python", "mode=ndjson", $"dir={dir}");
        Assert.True(made.Ok, made.ToString());
        Assert.Equal("ndjson", JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "plugin.json")))!["mode"]!.GetValue<string>());
        var test = _kit.Resh("plugin://.test", $"path={dir}");
        Assert.True(test.Ok, test.ToString());
        Assert.Equal(1, test.Envelope["result"]!["passed"]!.GetValue<int>());
        var bash = _kit.Resh("plugin://.new", "name=other", "language=bash", "mode=ndjson", $"dir={_kit["other"]}");
        Assert.Equal("unsupported", bash.ErrorCode);
        Assert.False(Directory.Exists(_kit["other"]));
    }
}
