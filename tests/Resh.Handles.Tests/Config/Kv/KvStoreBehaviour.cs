using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Config.Kv;

/// <summary>
/// Issue 14, config://NAME/KEY: the behaviours every key-value store has, run against a real etcd and the embedded
/// store by the two subclasses. Each test works under its own prefix, so they share one server.
/// </summary>
public abstract class KvStoreBehaviour : IDisposable
{
    protected readonly TempDir Dir = new("configkv");
    protected readonly Dictionary<string, string> Env;
    protected readonly string P = "t" + Guid.NewGuid().ToString("N")[..10];

    protected KvStoreBehaviour(string configToml, IDictionary<string, string>? extraEnv = null)
    {
        var home = Dir["home"];
        Directory.CreateDirectory(home);
        Env = new Dictionary<string, string> { ["RESH_HOME"] = home, ["RESH_CONFIG"] = Dir.File("config.toml", configToml) };
        foreach (var (k, v) in extraEnv ?? new Dictionary<string, string>()) Env[k] = v;
    }

    public void Dispose() => Dir.Dispose();

    /// <summary>The store's NAME in targets.</summary>
    protected abstract string Store { get; }
    protected abstract string Backend { get; }

    /// <summary>The value as the store holds it, read without resh (etcdctl, or the embedded store's file).</summary>
    protected abstract string? RawValue(string key);

    protected string T(string key) => $"config://{Store}/{P}/{key}";

    protected ReshRun Resh(params string[] args) => ReshBinary.Run([.. args, "--format", "json"], env: Env, wait: TimeSpan.FromSeconds(60));

    protected static JsonNode Ok(ReshRun run)
    {
        Assert.True(run.ExitCode == 0 && run.Ok, run.ToString());
        return run.Result!;
    }

    static void Refused(ReshRun run, string code)
    {
        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal(code, run.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(run.Envelope["error"]!["hint"]?.GetValue<string>()), run.ToString());
    }

    [Fact]
    public void Set_get_delete_round_trip_typed_values_with_revisions_and_a_truthful_changed()
    {
        var first = Resh($"{T("port")}.set", "value:=8080");
        Assert.True(first.Changed, first.ToString());
        var r1 = Ok(first)["revision"]!.GetValue<long>();
        Assert.True(Ok(first)["created"]!.GetValue<bool>());
        Assert.Equal("8080", RawValue($"{P}/port"));
        Assert.Equal(Backend, first.Result!["format"]!.GetValue<string>());

        var same = Resh($"{T("port")}.set", "value:=8080");
        Assert.False(same.Changed, same.ToString());
        Assert.Null(Ok(same)["revision"]);
        Assert.Equal(r1, same.Result!["previous_revision"]!.GetValue<long>());

        var got = Ok(Resh($"{T("port")}.get"));
        Assert.True(got["exists"]!.GetValue<bool>());
        Assert.Equal("number", got["type"]!.GetValue<string>());
        Assert.Equal(8080, got["value"]!.GetValue<int>());
        Assert.Equal(r1, got["revision"]!.GetValue<long>());

        // A document and a plain string; the string is stored as written, the document as compact JSON.
        Ok(Resh($"{T("doc")}.set", "value:={\"host\": \"db\", \"ports\": [1, 2]}"));
        Assert.Equal("{\"host\":\"db\",\"ports\":[1,2]}", RawValue($"{P}/doc"));
        Assert.Equal("db", Ok(Resh($"{T("doc")}.get"))["value"]!["host"]!.GetValue<string>());
        Ok(Resh($"{T("name")}.set", "value=hello world"));
        Assert.Equal("hello world", RawValue($"{P}/name"));
        Assert.Equal("string", Ok(Resh($"{T("name")}.get"))["type"]!.GetValue<string>());

        // --dry-run says what would change and writes nothing.
        var dry = Resh($"{T("port")}.set", "value:=9090", "--dry-run");
        Assert.True(dry.Changed, dry.ToString());
        Assert.Equal("8080", RawValue($"{P}/port"));

        var deleted = Resh($"{T("port")}.delete");
        Assert.True(deleted.Changed, deleted.ToString());
        Assert.Equal(8080, Ok(deleted)["previous"]!.GetValue<int>());
        Assert.True(Ok(deleted)["revision"]!.GetValue<long>() > r1);
        Assert.Null(RawValue($"{P}/port"));
        var gone = Ok(Resh($"{T("port")}.get"));
        Assert.False(gone["exists"]!.GetValue<bool>());
        Assert.Null(gone["revision"]);
        Assert.False(Resh($"{T("port")}.delete").Changed);
    }

    [Fact]
    public void Compare_and_set_refuses_a_moved_revision_and_writes_nothing()
    {
        var r1 = Ok(Resh($"{T("cas")}.set", "value=one"))["revision"]!.GetValue<long>();
        var r2 = Ok(Resh($"{T("cas")}.set", "value=two"))["revision"]!.GetValue<long>();
        Assert.True(r2 > r1);

        var stale = Resh($"{T("cas")}.set", "value=three", $"revision={r1}");
        Refused(stale, "conflict");
        Assert.Equal(r2, stale.Envelope["error"]!["details"]!["current_revision"]!.GetValue<long>());
        Assert.Contains($"revision {r2}", stale.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal("two", RawValue($"{P}/cas"));

        Refused(Resh($"{T("cas")}.set", "value=x", "revision=0"), "conflict");
        Assert.Equal("two", RawValue($"{P}/cas"));
        Refused(Resh($"{T("cas")}.delete", $"revision={r1}"), "conflict");
        Assert.Equal("two", RawValue($"{P}/cas"));

        var r3 = Ok(Resh($"{T("cas")}.set", "value=three", $"revision={r2}"))["revision"]!.GetValue<long>();
        Assert.Equal("three", RawValue($"{P}/cas"));
        Assert.True(Resh($"{T("fresh")}.set", "value=new", "revision=0").Changed);
        Assert.Equal("new", RawValue($"{P}/fresh"));
        Assert.True(Resh($"{T("cas")}.delete", $"revision={r3}").Changed);
        Assert.Null(RawValue($"{P}/cas"));
    }

    [Fact]
    public async Task Concurrent_writers_with_the_same_revision_exactly_one_wins()
    {
        var r = Ok(Resh($"{T("race")}.set", "value=start"))["revision"]!.GetValue<long>();
        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Resh($"{T("race")}.set", $"value=w{i}", $"revision={r}"))));
        var winners = runs.Where(x => x.ExitCode == 0).ToList();
        Assert.True(winners.Count == 1, string.Join("\n---\n", runs.Select(x => x.ToString())));
        Assert.All(runs.Where(x => x.ExitCode != 0), x => Assert.Equal("conflict", x.ErrorCode));
        Assert.Equal(winners[0].Result!["value"]!.GetValue<string>(), RawValue($"{P}/race"));
    }

    [Fact]
    public void List_is_bounded_by_prefix_and_limit_with_revisions()
    {
        foreach (var k in new[] { "b", "a", "c/d" }) Ok(Resh($"{T("l/" + k)}.set", $"value={k}"));
        Ok(Resh($"{T("other")}.set", "value=no"));
        var all = Ok(Resh($"config://{Store}/{P}/l/.list"));
        Assert.Equal(3, all["count"]!.GetValue<int>());
        Assert.False(all["more"]!.GetValue<bool>());
        Assert.Equal([$"{P}/l/a", $"{P}/l/b", $"{P}/l/c/d"], all["keys"]!.AsArray().Select(k => k!["key"]!.GetValue<string>()).ToArray());
        Assert.All(all["keys"]!.AsArray(), k => Assert.True(k!["revision"]!.GetValue<long>() > 0));
        Assert.True(all["revision"]!.GetValue<long>() >= all["keys"]!.AsArray().Max(k => k!["revision"]!.GetValue<long>()));
        var two = Ok(Resh($"config://{Store}/{P}/l/.list", "limit=2"));
        Assert.Equal(2, two["count"]!.GetValue<int>());
        Assert.True(two["more"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Watch_streams_a_put_and_a_delete_made_by_other_processes()
    {
        Ok(Resh($"{T("w/gone")}.set", "value=soon"));
        var from = Ok(Resh($"config://{Store}/{P}/w/.list"))["revision"]!.GetValue<long>();
        var watch = Task.Run(() => Resh($"config://{Store}/{P}/w/.watch", "count=2", "--timeout", "40s"));
        await Task.Delay(1000);
        Ok(Resh($"{T("w/x")}.set", "value:={\"a\":1}"));
        Ok(Resh($"{T("outside")}.set", "value=not watched"));
        Ok(Resh($"{T("w/gone")}.delete"));
        var run = await watch;
        Ok(run);
        Assert.Equal("count", run.Result!["ended"]!.GetValue<string>());
        var events = run.Events;
        Assert.Equal(2, events.Count);
        Assert.Equal("put", events[0]["event"]!.GetValue<string>());
        Assert.Equal($"{P}/w/x", events[0]["key"]!.GetValue<string>());
        Assert.Equal(1, events[0]["value"]!["a"]!.GetValue<int>());
        Assert.Equal("delete", events[1]["event"]!.GetValue<string>());
        Assert.Equal($"{P}/w/gone", events[1]["key"]!.GetValue<string>());
        Assert.True(events[1]["revision"]!.GetValue<long>() > events[0]["revision"]!.GetValue<long>());
        Assert.True(events[0]["revision"]!.GetValue<long>() > from);

        // revision= replays: from the list's revision, the same two changes come back at once.
        var replay = Resh($"config://{Store}/{P}/w/.watch", $"revision={from}", "count=2", "--timeout", "20s");
        Assert.Equal(events.Select(e => e["revision"]!.GetValue<long>()), replay.Events.Select(e => e["revision"]!.GetValue<long>()));

        // A watch with nothing to see ends at its --timeout, normally.
        var idle = Resh($"config://{Store}/{P}/w/.watch", "--timeout", "1s");
        Assert.Equal("timeout", Ok(idle)["ended"]!.GetValue<string>());
        Assert.Equal(Ok(Resh($"config://{Store}/{P}/w/.list"))["revision"]!.GetValue<long>(), idle.Result!["last_revision"]!.GetValue<long>());
    }

    [Fact]
    public void Bad_input_gets_a_clear_envelope_and_writes_nothing()
    {
        Refused(Resh($"config://nosuchstore/{P}/a.get"), "not_found");
        Refused(Resh($"config://{Store}/{P}/a/../b.set", "value=x"), "usage");
        Refused(Resh($"config://{Store}/{P}/a\u0001b.set", "value=x"), "usage");
        Refused(Resh($"config://{Store}/.set", "value=x"), "usage");
        Refused(Resh($"{T("k")}.set", "value=x", "key=a.b"), "usage");
        var big = Dir.File("big.txt", new string('x', (1 << 20) + 1));
        var over = Resh($"{T("big")}.set", $"value=@{big}");
        Refused(over, "usage");
        Assert.Contains("1 MiB", over.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Null(RawValue($"{P}/big"));
        // A missing key is data, not an error.
        Assert.False(Ok(Resh($"{T("absent")}.get"))["exists"]!.GetValue<bool>());
        // Files keep working, and refuse what only stores have.
        var file = Dir.File("app.yaml", "a: 1\n");
        Refused(Resh($"config://{file}.set", "key=a", "value:=2", "revision=3"), "usage");
        Assert.Equal("a: 1\n", File.ReadAllText(file));
        Refused(Resh($"config://{file}.set", "value:=2"), "usage");
        Assert.True(Resh($"config://{file}.set", "key=a", "value:=2").Changed);
        Assert.Equal("a: 2\n", File.ReadAllText(file));
        Refused(Resh($"config://{file}.list"), "usage");
    }

    /// <summary>The command line of a running resh (for the check that no secret is in argv).</summary>
    protected static string CmdlineOf(Process p) => File.ReadAllText($"/proc/{p.Id}/cmdline").Replace('\0', ' ');
}
