using System.Text.Json.Nodes;
using Xunit;

namespace Resh.Core.Tests.Pipeline;

/// <summary>Whole pipelines through ReshApp, in-process, over the `pt://` test handle (one class: it shares the handle's record of calls).</summary>
public sealed class PipelineRunTests
{
    static readonly object Gate = new();

    static InProcess.Result Run(params string[] argv)
    {
        PipeTestHandle.Reset();
        return InProcess.Run(PipeTestHandle.Registry(), argv);
    }

    static List<string> TouchedTargets() => PipeTestHandle.Touched.Select(t => t.Target).ToList();

    [Fact]
    public void Filters_flow_and_the_envelope_is_the_pipelines()
    {
        lock (Gate)
        {
            var r = Run("pt://.list | where size_bytes > 1MiB and enabled | select name,size | sort -size");
            Assert.Equal(0, r.Exit);
            var env = r.Envelope;
            Assert.Equal("pipeline", env["handle"]!.GetValue<string>());
            Assert.Equal("run", env["verb"]!.GetValue<string>());
            Assert.Equal(1, env["result"]!["count"]!.GetValue<int>());
            Assert.Equal("""[{"name":"gamma","size":"20MiB"}]""", env["result"]!["items"]!.ToJsonString());
        }
    }

    [Fact]
    public void Retry_applies_to_the_stages_wherever_it_is_written()
    {
        // s40 user D5: --retry after the pipeline or inside a stage was dropped silently.
        lock (Gate)
        {
            foreach (var argv in new[]
            {
                new[] { "--retry", "2", "--retry-delay", "1ms", "pt://.list | first 1 | pt://flaky.touch" },
                new[] { "pt://.list | first 1 | pt://flaky.touch", "--retry", "2", "--retry-delay", "1ms" },
                new[] { "pt://.list | first 1 | pt://flaky.touch --retry 2 --retry-delay 1ms" },
            })
            {
                var r = Run(argv);
                Assert.True(r.Exit == 0, string.Join(' ', argv) + ": " + r.Envelope.ToJsonString());
                Assert.Equal(2, PipeTestHandle.Touched.Count(t => t.Target == "flaky"));
            }
            var once = Run("pt://.list | first 1 | pt://flaky.touch");
            Assert.Equal(9, once.Exit); // partial: without --retry the one item fails
        }
    }

    /// <summary>
    /// s42 user D11: a fleet's first stage with a failed host kept only the host's name; each failed host keeps its host,
    /// code and message (and hint) in the pipeline's error details, and the warning says why.
    /// </summary>
    [Fact]
    public void A_fleets_failed_hosts_keep_their_code_and_message()
    {
        var fleet = JsonNode.Parse("""
            {"hosts":[
              {"host":"web1","ok":true,"result":{"disks":[{"mount_point":"/","used_percent":40}]},"error":null},
              {"host":"ghost","ok":false,"result":null,"error":{"code":"unavailable","message":"ghost: Could not resolve hostname.","details":null,"hint":"Check the host name."}},
              {"host":"web3","ok":false,"result":null,"error":{"code":"permission_denied","message":"Permission denied (publickey).","details":null,"hint":null}}],
             "summary":{"hosts":3,"ok":1,"failed":1,"unreachable":1}}
            """)!.AsObject();
        var env = new Resh.Core.Output.Envelope { Ok = false, Handle = "system", Verb = "disk", Target = "ssh://@web/system://.disk", ResultNode = fleet,
            Error = new Resh.Core.Errors.ReshError(Resh.Core.Errors.ErrorCode.Partial, "2 of 3 hosts failed.", null) };
        var failed = new List<JsonObject>();
        var items = Resh.Core.Pipeline.PipelineRunner.ItemsOf(env, failed, out var noList);
        Assert.False(noList);
        Assert.Equal("web1", Assert.Single(items)["host"]!.GetValue<string>());
        Assert.Equal(2, failed.Count);
        Assert.Equal(("ghost", "unavailable", "ghost: Could not resolve hostname.", "Check the host name."),
            (failed[0]["host"]!.GetValue<string>(), failed[0]["code"]!.GetValue<string>(), failed[0]["message"]!.GetValue<string>(), failed[0]["hint"]!.GetValue<string>()));
        Assert.Equal(("web3", "permission_denied"), (failed[1]["host"]!.GetValue<string>(), failed[1]["code"]!.GetValue<string>()));
        Assert.False(failed[1].ContainsKey("hint"));
    }

    [Fact]
    public void Count_answers_a_number_and_both_spellings_agree()
    {
        lock (Gate)
        {
            var a = Run("pt://.list | where age < 1m | count");
            var b = Run("pt://.list", "|", "where", "age", "<", "1m", "|", "count");
            Assert.Equal("""{"count":3}""", a.Envelope["result"]!.ToJsonString());
            Assert.Equal(a.Envelope["result"]!.ToJsonString(), b.Envelope["result"]!.ToJsonString());
        }
    }

    [Fact]
    public void A_later_stage_runs_once_per_item_with_fields_filled()
    {
        lock (Gate)
        {
            var r = Run("pt://.list | where enabled and name != bad | pt://{name}.touch name={size}");
            Assert.Equal(0, r.Exit);
            Assert.Equal(["alpha", "gamma"], TouchedTargets());
            Assert.Equal(["512B", "20MiB"], PipeTestHandle.Touched.Select(t => t.Name!).ToList());
            var items = r.Envelope["result"]!["items"]!.AsArray();
            Assert.Equal("""{"name":"alpha","size":"512B"}""", items[0]!["item"]!.ToJsonString());
            Assert.True(items[0]!["ok"]!.GetValue<bool>());
            Assert.Equal("alpha", items[0]!["result"]!["target"]!.GetValue<string>());
            Assert.True(r.Envelope["changed"]!.GetValue<bool>());
        }
    }

    [Fact]
    public void A_failing_item_makes_the_pipeline_partial_and_the_rest_still_run()
    {
        lock (Gate)
        {
            var r = Run("pt://.list | pt://{name}.touch");
            Assert.Equal(9, r.Exit);
            Assert.Equal("partial", r.Code);
            Assert.Equal(5, TouchedTargets().Count);
            var bad = r.Envelope["result"]!["items"]!.AsArray().Single(i => !i!["ok"]!.GetValue<bool>());
            Assert.Equal("failed", bad!["error"]!["code"]!.GetValue<string>());
            Assert.Equal(4, r.Envelope["result"]!["summary"]!["ok"]!.GetValue<int>());
        }
    }

    [Fact]
    public void Stop_on_error_stops_at_the_first_failure()
    {
        lock (Gate)
        {
            PipeTestHandle.Reset();
            var r = InProcess.Run(PipeTestHandle.Registry(), ["pt://.list | sort name | pt://{name}.touch", "--stop-on-error"]);
            // sorted: alpha, bad, beta, delta, gamma: alpha runs, bad fails, nothing after it
            Assert.Equal(["alpha", "bad"], TouchedTargets());
            Assert.Equal("partial", r.Code);
            Assert.Equal(3, r.Envelope["result"]!["summary"]!["skipped"]!.GetValue<int>());
        }
    }

    [Fact]
    public void Dry_run_flows_into_every_stage()
    {
        lock (Gate)
        {
            var r = Run("--dry-run", "pt://.list | first 2 | pt://{name}.touch");
            Assert.Equal(0, r.Exit);
            Assert.All(PipeTestHandle.Touched, t => Assert.True(t.DryRun));
            Assert.True(r.Envelope["dry_run"]!.GetValue<bool>());
            var r2 = Run("pt://.list | first 1 | pt://{name}.touch --dry-run");
            Assert.True(PipeTestHandle.Touched.Single().DryRun);
        }
    }

    [Theory]
    [InlineData("pt://.list | wher name == x | pt://{name}.touch")]           // misspelt filter
    [InlineData("pt://.list | where name = x | pt://{name}.touch")]           // bad expression
    [InlineData("pt://.list | pt://{name}.tuoch")]                           // unknown verb
    [InlineData("pt://.list | nosuch://{name}.touch")]                       // unknown handle
    [InlineData("pt://.list | pt://{name}.touch colour=red")]                // unknown argument
    [InlineData("pt://.list | pt://{nmae}.touch")]                           // unknown field
    [InlineData("pt://.list | select name | pt://{size}.touch")]             // field dropped by select
    [InlineData("pt://.list | pt://{name}.touch {force}")]                   // a field as a word of its own
    [InlineData("pt://.list | pt://{name}.touch(name={size})")]              // a field inside parentheses
    [InlineData("pt://.list | pt://{name}.touch --parallel 0")]
    [InlineData("pt://.one | count")]                                        // not a list
    [InlineData("pt://.list | pt://{name}.need")]                            // required argument missing
    public void A_bad_stage_anywhere_is_usage_and_nothing_runs(string pipeline)
    {
        lock (Gate)
        {
            var r = Run(pipeline);
            Assert.Equal(2, r.Exit);
            Assert.Equal("usage", r.Code);
            Assert.NotNull(r.Envelope["error"]!["hint"]);
            Assert.Equal(0, PipeTestHandle.ListCalls);
            Assert.Empty(PipeTestHandle.Touched);
        }
    }

    [Theory]
    [InlineData("a|b")]
    [InlineData("../../etc/passwd")]
    [InlineData("x.need")]
    [InlineData("x(name=evil)")]
    [InlineData("q\"uo'te")]
    [InlineData("{name}")]
    [InlineData("x | pt://y.need")]
    public void A_field_value_cannot_change_the_stage(string hostile)
    {
        lock (Gate)
        {
            PipeTestHandle.Reset();
            PipeTestHandle.Items = [new PtItem(hostile, 1, "1B", 1, "1s", false, null)];
            var r = InProcess.Run(PipeTestHandle.Registry(), ["pt://.list | pt://{name}.touch name={name}"]);
            Assert.Equal(0, r.Exit);
            var t = Assert.Single(PipeTestHandle.Touched);
            Assert.Equal(hostile, t.Target);     // the whole value is the target, decoded
            Assert.Equal(hostile, t.Name);       // and one argument value
            Assert.False(t.Force);
            Assert.Equal(hostile, r.Envelope["result"]!["items"]![0]!["result"]!["target"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("@/etc/passwd")]
    [InlineData("force=true")]
    [InlineData("--force")]
    [InlineData("x force=true")]
    public void A_field_value_is_one_argument_value(string hostile)
    {
        lock (Gate)
        {
            PipeTestHandle.Reset();
            PipeTestHandle.Items = [new PtItem(hostile, 1, "1B", 1, "1s", false, null)];
            var r = InProcess.Run(PipeTestHandle.Registry(), ["pt://.list | pt://x.touch name={name}"]);
            Assert.Equal(0, r.Exit);
            var t = Assert.Single(PipeTestHandle.Touched);
            Assert.Equal(hostile, t.Name);   // never read from a file, never a flag or another argument
            Assert.False(t.Force);
        }
    }

    [Fact]
    public void Parallel_runs_concurrently_and_keeps_input_order()
    {
        lock (Gate)
        {
            PipeTestHandle.Reset();
            // The first item is the slowest: one at a time it finishes first; four at a time it finishes last.
            PipeTestHandle.Items = new[] { "a", "b", "c", "d" }.Select((n, i) => new PtItem(n, 1, "1B", i == 0 ? 600 : 10, "1s", true, null)).ToList();
            var r = InProcess.Run(PipeTestHandle.Registry(), ["pt://.list | pt://{name}.touch delay={age_seconds}ms", "--parallel", "4"]);
            Assert.Equal(0, r.Exit);
            var order = r.Envelope["result"]!["items"]!.AsArray().Select(i => i!["item"]!["name"]!.GetValue<string>()).ToList();
            Assert.Equal(["a", "b", "c", "d"], order);
            Assert.Equal("a", TouchedTargets()[^1]);

            PipeTestHandle.Touched.Clear();
            InProcess.Run(PipeTestHandle.Registry(), ["pt://.list | pt://{name}.touch delay={age_seconds}ms"]);
            Assert.Equal(["a", "b", "c", "d"], TouchedTargets()); // --parallel 1 (the default): one after the other
        }
    }

    [Fact]
    public void Ndjson_streams_each_items_envelope_then_the_summary()
    {
        lock (Gate)
        {
            var r = Run("pt://.list | first 3 | pt://{name}.touch", "--format", "ndjson");
            var lines = r.Stdout.Trim().Split('\n');
            Assert.Equal(4, lines.Length);
            for (int i = 0; i < 3; i++) Assert.Equal("touch", JsonNode.Parse(lines[i])!["verb"]!.GetValue<string>());
            var last = JsonNode.Parse(lines[3])!;
            Assert.Equal("pipeline", last["handle"]!.GetValue<string>());
            Assert.Equal(3, last["result"]!["summary"]!["ok"]!.GetValue<int>());
        }
    }

    [Fact]
    public void Ndjson_of_filter_output_prints_the_items()
    {
        lock (Gate)
        {
            var r = Run("pt://.list | select name | first 2", "--format", "ndjson");
            var lines = r.Stdout.Trim().Split('\n');
            Assert.Equal("""{"name":"alpha"}""", lines[0]);
            Assert.Equal("""{"name":"beta"}""", lines[1]);
        }
    }

    [Fact]
    public void A_field_the_declared_items_lack_is_refused_before_anything_runs()
    {
        // s41 user D2: a misspelt field only warned, and `where not colour == red` then matched every item.
        lock (Gate)
        {
            var r = Run("pt://.list | where not colour == red | count");
            Assert.NotEqual(0, r.Exit);
            Assert.Equal("usage", r.Envelope["error"]!["code"]!.GetValue<string>());
            Assert.Contains("colour", r.Envelope["error"]!["message"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Table_renders_filter_output()
    {
        lock (Gate)
        {
            var r = Run("pt://.list | select name,size | first 2", "--format", "table");
            Assert.Equal(0, r.Exit);
            Assert.Contains("alpha", r.Stdout);
            Assert.Contains("NAME", r.Stdout.ToUpperInvariant());
        }
    }

    [Fact]
    public void A_batch_line_may_be_a_pipeline()
    {
        lock (Gate)
        {
            PipeTestHandle.Reset();
            var stdin = """
                {"id":1,"stage":"pt://.list | where enabled | count"}
                {"id":2,"stage":"pt://.list | first 1 | pt://{name}.touch","dry_run":true}
                {"id":3,"stage":"pt://.list | wher x","verb":"list"}
                """;
            var r = InProcess.Run(PipeTestHandle.Registry(), ["batch"], stdin);
            var lines = r.Stdout.Trim().Split('\n').Select(l => JsonNode.Parse(l)!).ToList();
            Assert.Equal(3, lines.Count);
            Assert.Equal(3, lines[0]["result"]!["count"]!.GetValue<int>());
            Assert.Equal(1, lines[0]["id"]!.GetValue<int>());
            Assert.True(lines[1]["ok"]!.GetValue<bool>());
            Assert.True(PipeTestHandle.Touched.Single().DryRun);
            Assert.Equal("usage", lines[2]["error"]!["code"]!.GetValue<string>());
        }
    }
}
