using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Meta;
using Resh.Core.Model;
using Resh.Core.Registry;
using Xunit;

namespace Resh.Core.Tests.Execution;

/// <summary>
/// --retry in the executor, through the whole CLI in-process: a `flaky://KEY` handle whose verbs fail the first N calls
/// (N from the target, KEY unique per test) with the error named by kind=, then answer. Each test counts the calls the
/// verb really received, so a retry that should not happen (or a missing one) fails.
/// </summary>
public sealed class RetryTests
{
    static readonly ConcurrentDictionary<string, int> Calls = new();
    static readonly Arg<string?> Kind = Arg.Enum("kind", "how the failing calls fail",
        ["transient", "unsent", "not_found", "usage", "conflict", "lock", "retry_after"], "transient");

    static Outcome<EchoResult> Flaky(VerbContext ctx)
    {
        var parts = ctx.Target.Split(':');
        var failures = int.Parse(parts[1]);
        var n = Calls.AddOrUpdate(parts[0], 1, (_, c) => c + 1);
        if (n > failures) return new EchoResult(ctx.Target, ctx.Verb.Name, new() { ["call"] = n.ToString() });
        var error = ctx.Get(Kind) switch
        {
            "unsent" => ReshError.Unavailable($"Cannot connect (call {n}).", null) with { NotSent = true },
            // Codes that never pass by waiting are not retried even when a backend marks them transient.
            "not_found" => ReshError.NotFound("No such thing.", null) with { Transient = true },
            "usage" => ReshError.Usage("Bad value.", null) with { Transient = true },
            "conflict" => ReshError.Conflict("Exists already.", null),
            "lock" => ReshError.Conflict("The lock is held.", null) with { Transient = true, NotSent = true },
            "retry_after" => ReshError.Failed("Answered 503.", null) with { Transient = true, RetryAfter = TimeSpan.FromSeconds(30) },
            _ => ReshError.Unavailable($"The connection broke (call {n}).", null),
        };
        throw error.ToException();
    }

    static VerbInfo V(string name, Effect effect) => VerbInfo.Define(name, effect, $"verb {name}", [Kind], TestJson.Default.EchoResult, Flaky);

    static HandleRegistry Registry()
    {
        var r = new HandleRegistry();
        r.Add(new HandleInfo("flaky", "fails first", "KEY:FAILURES",
            [V("read", Effect.Read), V("send", Effect.Mutate), V("put", Effect.Mutate).WithIdempotence()]));
        r.Add(MetaHandle.Create(r, new BuildInfo("0.0.0-test", "test")));
        return r;
    }

    static string Key() => Guid.NewGuid().ToString("N");
    static int CallsOf(string key) => Calls.TryGetValue(key, out var n) ? n : 0;
    static InProcess.Result Run(params string[] argv) => InProcess.Run(Registry(), argv);
    static int? Attempts(InProcess.Result r) => r.Envelope["attempts"]?.GetValue<int>();

    [Fact]
    public void A_read_that_fails_twice_transiently_answers_on_the_third_attempt_and_says_so()
    {
        var key = Key();
        var r = Run($"flaky://{key}:2.read", "--retry", "3", "--retry-delay", "1ms", "-v");
        Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
        Assert.Equal(3, Attempts(r));
        Assert.Equal(3, CallsOf(key));
        var warnings = r.Envelope["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("Attempt 1 failed (unavailable: The connection broke (call 1).)", warnings[0]);
        Assert.StartsWith("Attempt 2 failed (unavailable: The connection broke (call 2).)", warnings[1]);
        Assert.Contains("retry: flaky.read attempt 1 of 4 failed", r.Stderr);
        Assert.Contains("retry: flaky.read ok after 3 attempts", r.Stderr);
        // The field order of the envelope is kept; attempts comes after warnings.
        var keys = r.Envelope.Select(p => p.Key).ToList();
        Assert.Equal(keys.IndexOf("warnings") + 1, keys.IndexOf("attempts"));
    }

    [Fact]
    public void Without_retry_the_call_runs_once_and_the_envelope_has_no_attempts()
    {
        var key = Key();
        var r = Run($"flaky://{key}:2.read");
        Assert.Equal(7, r.Exit);
        Assert.Null(r.Envelope["attempts"]);
        Assert.Equal(1, CallsOf(key));
        Assert.True(r.Envelope["error"]!["details"]!["transient"]!.GetValue<bool>());
        var zero = Run($"flaky://{Key()}:2.read", "--retry", "0");
        Assert.Null(zero.Envelope["attempts"]);
    }

    [Fact]
    public void Retries_that_run_out_end_with_the_last_error_and_every_attempt_counted()
    {
        var key = Key();
        var r = Run($"flaky://{key}:100.read", "--retry", "2", "--retry-delay", "1ms");
        Assert.Equal("unavailable", r.Code);
        Assert.Equal(3, Attempts(r));
        Assert.Equal(3, CallsOf(key));
        Assert.Contains("(call 3)", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.True(r.Envelope["error"]!["details"]!["transient"]!.GetValue<bool>());
        Assert.Equal(2, r.Envelope["warnings"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("not_found", "not_found")]
    [InlineData("usage", "usage")]
    [InlineData("conflict", "conflict")]
    public void Errors_that_cannot_pass_by_waiting_are_never_retried(string kind, string code)
    {
        var key = Key();
        var r = Run($"flaky://{key}:5.read", $"kind={kind}", "--retry", "3", "--retry-delay", "1ms");
        Assert.Equal(code, r.Code);
        Assert.Equal(1, Attempts(r));
        Assert.Equal(1, CallsOf(key));
        Assert.Empty(r.Envelope["warnings"]!.AsArray());
    }

    [Fact]
    public void A_usage_error_of_the_command_line_runs_nothing()
    {
        var key = Key();
        var r = Run($"flaky://{key}:5.read", "kind=nope", "--retry", "3");
        Assert.Equal("usage", r.Code);
        Assert.Equal(0, CallsOf(key));
    }

    [Fact]
    public void A_held_lock_is_transient_and_retried()
    {
        var key = Key();
        var r = Run($"flaky://{key}:1.send", "kind=lock", "--retry", "2", "--retry-delay", "1ms");
        Assert.True(r.Exit == 0, r.Stdout);
        Assert.Equal(2, Attempts(r));
    }

    [Fact]
    public void A_mutating_verb_is_repeated_only_when_nothing_was_sent()
    {
        var sentKey = Key();
        var sent = Run($"flaky://{sentKey}:1.send", "kind=transient", "--retry", "3", "--retry-delay", "1ms");
        Assert.Equal("unavailable", sent.Code);
        Assert.Equal(1, Attempts(sent));
        Assert.Equal(1, CallsOf(sentKey)); // the server may have acted on it: never twice
        Assert.Null(sent.Envelope["error"]!["details"]!["sent"]);

        var unsentKey = Key();
        var unsent = Run($"flaky://{unsentKey}:2.send", "kind=unsent", "--retry", "3", "--retry-delay", "1ms");
        Assert.True(unsent.Exit == 0, unsent.Stdout);
        Assert.Equal(3, Attempts(unsent));
        Assert.Equal(3, CallsOf(unsentKey));

        var failed = Run($"flaky://{Key()}:9.send", "kind=unsent", "--retry", "1", "--retry-delay", "1ms");
        Assert.False(failed.Envelope["error"]!["details"]!["sent"]!.GetValue<bool>());

        // An idempotent mutating verb (HTTP PUT) is repeated after any transient error.
        var putKey = Key();
        var put = Run($"flaky://{putKey}:1.put", "--retry", "3", "--retry-delay", "1ms");
        Assert.True(put.Exit == 0, put.Stdout);
        Assert.Equal(2, CallsOf(putKey));
    }

    [Fact]
    public void A_wait_that_would_pass_the_timeout_is_not_started_and_the_answer_is_timeout_at_once()
    {
        var key = Key();
        var clock = Stopwatch.StartNew();
        // Retry-After 30 s (capped at 20 s) cannot fit in a 2 s --timeout.
        var r = Run($"flaky://{key}:5.read", "kind=retry_after", "--retry", "5", "--retry-max-delay", "20s", "--timeout", "2s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), clock.Elapsed.ToString());
        Assert.Equal("timeout", r.Code);
        Assert.Equal(6, r.Exit);
        Assert.Equal(1, Attempts(r));
        Assert.Equal(1, CallsOf(key));
        Assert.Contains("would start after the --timeout", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal("failed", r.Envelope["error"]!["details"]!["last_error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public void Retry_after_is_honoured_up_to_the_max_delay()
    {
        var key = Key();
        var clock = Stopwatch.StartNew();
        var r = Run($"flaky://{key}:1.read", "kind=retry_after", "--retry", "1", "--retry-max-delay", "300ms");
        Assert.True(r.Exit == 0, r.Stdout);
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 290, 5000);
        Assert.Contains("retried after 300ms", r.Envelope["warnings"]![0]!.GetValue<string>());
    }

    [Fact]
    public void The_backoff_is_full_jitter_under_an_exponential_cap()
    {
        var p = new RetryPolicy(10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        var e = ReshError.Unavailable("x");
        for (int i = 0; i < 200; i++)
        {
            Assert.InRange(p.Backoff(1, e).TotalMilliseconds, 0, 100);
            Assert.InRange(p.Backoff(3, e).TotalMilliseconds, 0, 400);
            Assert.InRange(p.Backoff(30, e).TotalMilliseconds, 0, 1000);
        }
        var waits = Enumerable.Range(0, 200).Select(_ => p.Backoff(4, e).TotalMilliseconds).ToList();
        Assert.True(waits.Distinct().Count() > 20, "the waits are randomised");
        Assert.Equal(TimeSpan.FromSeconds(1), p.Backoff(1, e with { RetryAfter = TimeSpan.FromMinutes(5) }));
        Assert.Equal(TimeSpan.FromMilliseconds(50), p.Backoff(1, e with { RetryAfter = TimeSpan.FromMilliseconds(50) }));
    }

    [Theory]
    [InlineData("--retry", "11")]
    [InlineData("--retry", "-1")]
    [InlineData("--retry", "three")]
    [InlineData("--retry-delay", "soon")]
    [InlineData("--retry-delay", "-5s")]
    [InlineData("--retry-max-delay", "11m")]
    public void Bad_retry_flags_are_usage_errors_and_run_nothing(string flag, string value)
    {
        var key = Key();
        var r = Run($"flaky://{key}:1.read", flag, value);
        Assert.Equal("usage", r.Code);
        Assert.Equal(2, r.Exit);
        Assert.Contains(flag, r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(0, CallsOf(key));
    }

    [Fact]
    public void Batch_lines_take_their_own_retry()
    {
        var a = Key();
        var b = Key();
        var c = Key();
        var stdin = $"{{\"id\":1,\"stage\":\"flaky://{a}:2\",\"verb\":\"read\",\"retry\":2,\"retry_delay\":\"1ms\"}}\n" +
                    $"{{\"id\":2,\"stage\":\"flaky://{b}:2\",\"verb\":\"read\"}}\n" +
                    $"{{\"id\":3,\"stage\":\"flaky://{c}:2\",\"verb\":\"read\",\"retry\":99}}\n";
        var r = InProcess.Run(Registry(), ["batch"], stdin);
        var lines = r.Stdout.Trim().Split('\n').Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
        Assert.Equal(3, lines.Count);
        Assert.True(lines[0]["ok"]!.GetValue<bool>(), lines[0].ToJsonString());
        Assert.Equal(3, lines[0]["attempts"]!.GetValue<int>());
        Assert.False(lines[1]["ok"]!.GetValue<bool>());
        Assert.Null(lines[1]["attempts"]);
        Assert.Equal(1, CallsOf(b));
        Assert.Equal("usage", lines[2]["error"]!["code"]!.GetValue<string>());
        Assert.Equal(0, CallsOf(c));
    }

    [Fact]
    public void The_config_sets_retry_per_verb_per_handle_and_globally_and_the_command_line_wins()
    {
        using var dir = new TempConfig("""
            [defaults]
            retry = 1
            retry_delay = "1ms"

            [defaults.flaky]
            retry = 2

            [defaults.flaky.send]
            retry = 4
            """);
        var read = Key();
        var r = Run("--config", dir.Path, $"flaky://{read}:9.read");
        Assert.Equal(3, Attempts(r)); // the handle's table over [defaults]
        var send = Key();
        var s = Run("--config", dir.Path, $"flaky://{send}:9.send", "kind=unsent");
        Assert.Equal(5, Attempts(s)); // the verb's own table
        var flag = Run("--config", dir.Path, $"flaky://{Key()}:9.read", "--retry", "0");
        Assert.Null(flag.Envelope["attempts"]); // the command line wins

        using var bad = new TempConfig("""
            [defaults.flaky.read]
            retry = "many"
            """);
        var b = Run("--config", bad.Path, $"flaky://{Key()}:1.read");
        Assert.Equal("usage", b.Code);
        Assert.Contains("[defaults.flaky.read]", b.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void The_envelope_schema_and_the_help_know_the_flags()
    {
        var verb = Registry().Find("flaky")!.FindVerb("read")!;
        var schema = Resh.Core.Introspection.SchemaBuilder.EnvelopeSchema(verb);
        Assert.Equal("integer", schema["properties"]!["attempts"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain("attempts", schema["required"]!.AsArray().Select(x => x!.GetValue<string>())); // a new field, not a changed one
        var help = Run("help");
        Assert.Contains("--retry-max-delay", help.Stdout);
    }

    sealed class TempConfig : IDisposable
    {
        public TempConfig(string toml)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"resh-retry-{Guid.NewGuid():N}.toml");
            File.WriteAllText(Path, toml);
        }

        public string Path { get; }
        public void Dispose() => File.Delete(Path);
    }
}
