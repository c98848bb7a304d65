using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin;

/// <summary>
/// Review s36 attacker #6, #9, #12 with the hostile sample Samples/ndx: what a plugin writes on stdout between requests
/// is bounded (bytes and lines) and breaks the protocol, an answer written before its request is refused, and a secret
/// cut by the stderr tail is masked (ndjson and oneshot).
/// </summary>
public sealed class PluginStreamBoundsTests : IDisposable
{
    const string Token = "Hunter2SecretXYZ";
    readonly PluginKit _kit = new();
    public void Dispose() => _kit.Dispose();

    void InstallNdx() => Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "ndx")) is { Ok: true }, "install of ndx failed");

    Dictionary<string, string> Env => new() { ["RESH_HOME"] = _kit.Home, ["PLUGIN_TOKEN"] = Token };

    static string Line(int id, string stage, JsonObject? args = null) =>
        new JsonObject { ["id"] = id, ["stage"] = stage, ["args"] = args ?? new JsonObject() }.ToJsonString();

    static string? Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>();
    static string Message(JsonObject env) => env["error"]?["message"]?.GetValue<string>() ?? "";

    /// <summary>resh batch under python3's wait4, so its peak RSS (kB) is measured (ru_maxrss of the waited children: resh, or a plugin it reaped).</summary>
    (List<JsonObject> Lines, long MaxRssKb, double Seconds) MeasuredBatch(params string[] lines)
    {
        var script = """
            import resource, subprocess, sys, time
            t = time.time()
            p = subprocess.run(sys.argv[1:], input=sys.stdin.buffer.read(), stdout=subprocess.PIPE, timeout=120)
            sys.stdout.buffer.write(p.stdout)
            sys.stderr.write("%d %f\n" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.time() - t))
            """;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", script, ReshBinary.Path, "batch" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(string.Join("\n", lines) + "\n");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(150_000), "resh batch did not finish");
        var measured = stderr.Result.Trim().Split('\n')[^1].Split(' ');
        var parsed = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
        return (parsed, long.Parse(measured[0], System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(measured[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Empty_lines_flooded_between_requests_are_bounded_and_stop_the_plugin()
    {
        InstallNdx();
        // 400 MiB of newlines after the first answer: resh 0.1.0 buffered them all (3.3 GB RSS) and answered id 2 late.
        var (lines, rss, seconds) = MeasuredBatch(Line(1, "ndx://x.blanks", new JsonObject { ["mb"] = 400 }), Line(2, "ndx://x.whoami"), Line(3, "ndx://x.whoami"));
        Assert.Equal(3, lines.Count);
        var byId = lines.ToDictionary(l => l["id"]!.GetValue<int>());
        Assert.True(byId[1]["ok"]!.GetValue<bool>(), byId[1].ToJsonString());
        Assert.Equal("failed", Code(byId[2]));
        Assert.Contains("16 MiB", Message(byId[2]));
        var first = byId[1]["result"]!["pid"]!.GetValue<int>();
        // The next call gets a new process.
        Assert.True(byId[3]["ok"]!.GetValue<bool>(), byId[3].ToJsonString());
        Assert.NotEqual(first, byId[3]["result"]!["pid"]!.GetValue<int>());
        Assert.True(rss < 400_000, $"resh's peak RSS was {rss} kB");
        Assert.True(seconds < 60, $"took {seconds} s");
    }

    [Fact]
    public void Many_small_lines_between_requests_break_the_protocol_at_the_line_bound()
    {
        InstallNdx();
        var (lines, rss, _) = MeasuredBatch(Line(1, "ndx://x.lines", new JsonObject { ["count"] = 2_000_000 }), Line(2, "ndx://x.whoami"));
        var byId = lines.ToDictionary(l => l["id"]!.GetValue<int>());
        Assert.True(byId[1]["ok"]!.GetValue<bool>(), byId[1].ToJsonString());
        Assert.Equal("failed", Code(byId[2]));
        Assert.Matches("before request|64 lines|answered id", Message(byId[2]));
        Assert.True(rss < 400_000, $"resh's peak RSS was {rss} kB");
    }

    [Fact]
    public void An_answer_written_before_its_request_is_not_taken_as_the_answer()
    {
        InstallNdx();
        var run = ReshBinary.Run(["batch"], string.Join("\n", Line(1, "ndx://x.ahead"), Line(2, "ndx://y.whoami"), Line(3, "ndx://z.whoami")) + "\n", env: Env, wait: TimeSpan.FromSeconds(60));
        var byId = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToDictionary(l => l["id"]!.GetValue<int>());
        Assert.True(byId[1]["ok"]!.GetValue<bool>(), run.ToString());
        // The forged answer is not request 2's result (it may be quoted in details.stdout_line as what broke the protocol).
        Assert.Null(byId[2]["result"]);
        Assert.Equal("failed", Code(byId[2]));
        // Queued before request 2 was written, or read after it with the id it guessed (ids are random): refused either way.
        Assert.Matches("before request|answered id", Message(byId[2]));
        Assert.True(byId[3]["ok"]!.GetValue<bool>(), run.ToString());
    }

    /// <summary>Every run of 5 characters of the token: none may be shown.</summary>
    static void NoFragment(string text)
    {
        for (int i = 0; i + 5 <= Token.Length; i++) Assert.DoesNotContain(Token.Substring(i, 5), text);
    }

    [Theory]
    [InlineData("ndx", "secx")]
    [InlineData("ndx", "secy")]
    [InlineData("ndx1", "secx")]
    [InlineData("ndx1", "secy")]
    public void A_secret_cut_by_the_stderr_tail_is_masked(string scheme, string verb)
    {
        if (scheme == "ndx1")
        {
            // The same program as a oneshot plugin: it reads one request, answers, and its stdin ends.
            var dir = _kit.CopySample("ndx");
            var manifest = Path.Combine(dir, "plugin.json");
            var json = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
            json["name"] = "ndx1";
            json["scheme"] = "ndx1";
            json.Remove("mode");
            File.WriteAllText(manifest, json.ToJsonString());
            Assert.True(_kit.Install(dir) is { Ok: true } r, "install of ndx1 failed");
        }
        else InstallNdx();
        var run = ReshBinary.Run([$"{scheme}://x.{verb}", "token=env:PLUGIN_TOKEN", "--format", "json"], env: Env);
        // oneshot: no envelope (failed); ndjson: it stopped before answering (unavailable). Both carry the stderr tail.
        Assert.Equal(scheme == "ndx" ? "unavailable" : "failed", run.ErrorCode);
        var tail = run.Envelope["error"]!["details"]!["stderr_tail"]!.GetValue<string>();
        Assert.True(tail.Length > 8000, $"the tail is {tail.Length} characters");
        Assert.Contains("***", tail);
        NoFragment(run.Stdout + run.Stderr);
    }
}
