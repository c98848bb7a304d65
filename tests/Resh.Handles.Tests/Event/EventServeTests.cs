using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Event;

public sealed class EventServeTests : EventTestBase
{
    [Fact]
    public void Adding_the_same_rule_again_changes_nothing_and_events_already_waiting_still_run_it()
    {
        // s32 user #2: an identical rules.add moved from_seq past the events waiting for serve, which then never ran the rule.
        var log = Dir["again.log"];
        string[] add = ["event:///u.rules.add", "name=r4", $"run=file://{log}.append", "with:={\"content\":\"{{seq}}\\n\"}"];
        var first = Ok(Resh(add));
        Emit("u", "{}");
        var again = Resh(add);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.False(again.Changed);
        Assert.Equal(first["rule"]!["from_seq"]!.GetValue<long>(), again.Result!["rule"]!["from_seq"]!.GetValue<long>());
        Assert.Equal(1, Ok(Resh("event://.serve", "once=true"))["runs"]!.GetValue<long>());
        Assert.Equal($"{first["rule"]!["from_seq"]!.GetValue<long>()}\n", File.ReadAllText(log));
        // A changed rule of the same name replaces it (changed, created:false).
        var changed = Resh([.. add[..3], "with:={\"content\":\"x\"}"]);
        Assert.True(changed.Changed, changed.ToString());
        Assert.False(changed.Result!["created"]!.GetValue<bool>());
    }

    [Fact]
    public void A_change_a_rule_makes_is_recorded_but_triggers_no_rule_so_a_rule_on_resh_changes_cannot_loop()
    {
        // Found at integration: with [events] record = true a rule on `resh.>` whose stage changes something recorded a
        // change, which matched the rule again, without end. Changes made by rules are recorded with source event.serve
        // and serve runs no rule on them.
        File.WriteAllText(Config, "[events]\nrecord = true\n");
        var log = Dir["changes.log"];
        Ok(Resh("event:///resh.>.rules.add", "name=audit", $"run=file://{log}.append", "with:={\"content\":\"{{topic}}\\n\"}"));
        Ok(Resh($"file://{Dir["target.txt"]}.write", "content=one"));
        for (var i = 0; i < 3; i++) Ok(Resh("event://.serve", "once=true"));
        Assert.Equal("resh.file.write\n", File.ReadAllText(log));
        var recorded = List("/resh.>");
        Assert.Equal(["resh.file.write", "resh.file.append"], recorded.Select(e => e!["topic"]!.GetValue<string>()));
        Assert.Equal(["resh", "event.serve"], recorded.Select(e => e!["source"]!.GetValue<string>()));

        // s32 attacker #7: a rule that emits its own topic ran 780 times in 8 s; its emit is the rule's and runs no rule.
        Ok(Resh("event:///loop.a.rules.add", "name=loop", "run=event:///loop.a.emit"));
        Emit("loop.a", "{}");
        Assert.Equal(1, Ok(Resh("event://.serve", "once=true"))["runs"]!.GetValue<long>());
        Assert.Equal(0, Ok(Resh("event://.serve", "once=true"))["runs"]!.GetValue<long>());
        var loop = List("/loop.a");
        Assert.Equal(2, loop.Count);
        Assert.Equal("event.serve", loop[1]!["source"]!.GetValue<string>());
    }

    [Fact]
    public void Serve_runs_a_rules_stage_once_per_event_and_a_restart_does_not_run_it_again()
    {
        var log = Dir["deploys.log"];
        Emit("deploy.created", "{\"version\":\"0.9\"}"); // before the rule: never run
        var added = Ok(Resh("event:///deploy.*.rules.add", "name=deploy-log", $"run=file://{log}.append",
            "with:={\"content\":\"{{topic}} {{data.version}} #{{seq}}\\n\"}", "where=data.env=prod"));
        Assert.True(added["created"]!.GetValue<bool>());
        Assert.Equal(2, added["rule"]!["from_seq"]!.GetValue<long>());
        Assert.Equal("file.append", added["rule"]!["verb"]!.GetValue<string>());

        Emit("deploy.created", "{\"version\":\"1.2\",\"env\":\"prod\"}");
        Emit("deploy.created", "{\"version\":\"1.3\",\"env\":\"test\"}"); // filtered out
        Emit("other.thing", "{\"version\":\"9\",\"env\":\"prod\"}");      // another topic

        var first = Resh("event://.serve", "once=true", "--format", "ndjson");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("deploy.created 1.2 #2\n", File.ReadAllText(log));
        var lines = first.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        var run = Assert.Single(lines, l => l["event"]?.GetValue<string>() == "run")!;
        Assert.True(run["ok"]!.GetValue<bool>());
        Assert.True(run["changed"]!.GetValue<bool>());
        Assert.Equal(2, run["seq"]!.GetValue<long>());
        var summary = lines[^1]["result"]!;
        Assert.Equal(1, summary["runs"]!.GetValue<long>());
        Assert.Equal(4, summary["last_seq"]!.GetValue<long>());
        Assert.Equal("caught_up", summary["ended"]!.GetValue<string>());

        // A restart: nothing runs again.
        var again = Ok(Resh("event://.serve", "once=true"));
        Assert.Equal(0, again["runs"]!.GetValue<long>());
        Assert.Equal("deploy.created 1.2 #2\n", File.ReadAllText(log));

        // A new event runs once; a failing run is a warning and serve goes on.
        Ok(Resh("event:///boom.rules.add", "name=boom", $"run=file://{Dir["no-such-dir"]}/x.txt.append", "with:={\"content\":\"{{data.missing}}\"}", "--dry-run"));
        Ok(Resh("event:///boom.rules.add", "name=boom", $"run=file://{Dir["no-such-dir"]}/x.txt.append", "with:={\"content\":\"x\",\"create\":false}"));
        Emit("boom", "{}");
        Emit("deploy.updated", "{\"version\":\"1.4\",\"env\":\"prod\"}");
        var third = Resh("event://.serve", "once=true");
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.Equal(2, third.Result!["runs"]!.GetValue<long>());
        Assert.Equal(1, third.Result!["failed"]!.GetValue<long>());
        Assert.Contains(third.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("Rule boom on event 5"));
        Assert.Equal("deploy.created 1.2 #2\ndeploy.updated 1.4 #6\n", File.ReadAllText(log));

        // rules.list and rules.remove.
        var rules = Ok(Resh("event://.rules.list"))["rules"]!.AsArray();
        Assert.Equal(["boom", "deploy-log"], rules.Select(r => r!["name"]!.GetValue<string>()));
        Assert.True(Resh("event://.rules.remove", "name=boom").Changed);
        Assert.False(Resh("event://.rules.remove", "name=boom").Changed);
        Assert.Single(Ok(Resh("event://.rules.list"))["rules"]!.AsArray());
    }

    [Fact]
    public async Task A_long_lived_serve_runs_a_rule_for_an_event_another_process_emits_a_second_server_of_that_name_is_refused_and_SIGTERM_ends_it_normally()
    {
        var marker = Dir["marker.txt"];
        Ok(Resh("event:///disk.full.rules.add", "name=mark", $"run=file://{marker}.write", "with:={\"content\":\"{{data.mount}}\"}"));
        var psi = new ProcessStartInfo(ReshBinary.Path, ["event://.serve", "poll=50ms", "--timeout", "30s", "--format", "json"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var (k, v) in Env) psi.Environment[k] = v;
        using var serve = Process.Start(psi)!;
        try
        {
            var output = serve.StandardOutput.ReadToEndAsync();
            Thread.Sleep(500);
            var second = Resh("event://.serve", "once=true");
            Assert.Equal("conflict", second.ErrorCode);
            Emit("disk.full", "{\"mount\":\"/srv\"}");
            for (var i = 0; i < 200 && !File.Exists(marker); i++) Thread.Sleep(50);
            Assert.Equal("/srv", File.ReadAllText(marker));
            Thread.Sleep(300); // the cursor is written right after the run
            Shell.Run($"kill -TERM {serve.Id}");
            Assert.True(serve.WaitForExit(20_000));
            // s32 user #5: SIGTERM (systemctl stop) is a normal end with the counts, status 0 (it was interrupted, 130, result null).
            var text = await output;
            Assert.True(serve.ExitCode == 0, text);
            var env = JsonNode.Parse(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!;
            Assert.True(env["ok"]!.GetValue<bool>(), text);
            Assert.Equal("terminated", env["result"]!["ended"]!.GetValue<string>());
            Assert.Equal(1, env["result"]!["runs"]!.GetValue<long>());
        }
        finally
        {
            if (!serve.HasExited) serve.Kill();
        }
        // The cursor is past the event: a new server does not write the marker again.
        File.Delete(marker);
        Assert.Equal(0, Ok(Resh("event://.serve", "once=true"))["runs"]!.GetValue<long>());
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Rules_whose_stage_holds_a_placeholder_or_that_name_no_handle_are_refused()
    {
        var bad = new[]
        {
            new[] { "run=file:///tmp/{{data.path}}.write", "with:={\"content\":\"x\"}" },
            new[] { "run=file:///tmp/x.write(content={{data.c}})" },
            new[] { "run=nosuch:///x.do" },
            new[] { "run=not a stage" },
            new[] { "run=file:///tmp/x.write", "with:={\"nosuch\":\"{{data.x}}\"}" },
            new[] { "run=file:///tmp/x.write", "with:=[1]" },
            new[] { "run=event://.serve" },
        };
        foreach (var args in bad)
        {
            var run = Resh(["event:///t.rules.add", "name=r", .. args]);
            Assert.True(run.ExitCode == 2, string.Join(' ', args) + ": " + run);
            Assert.NotNull(run.Envelope["error"]!["hint"]);
        }
        Assert.Equal(2, Resh("event:///t.rules.add", "name=../x", "run=file:///tmp/x.write").ExitCode);
        Assert.Equal(2, Resh("event://.rules.add", "name=r", "run=file:///tmp/x.write").ExitCode);
        Assert.Empty(Ok(Resh("event://.rules.list"))["rules"]!.AsArray());
    }
}
