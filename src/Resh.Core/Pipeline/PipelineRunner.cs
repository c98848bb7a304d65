using System.Buffers;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Cli;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Registry;

namespace Resh.Core.Pipeline;

/// <summary>The cancellation a pipeline runs under (the same three tokens every call gets).</summary>
public readonly record struct PipelineTokens(CancellationToken Cancellation, CancellationToken Timeout, CancellationToken Interrupt, CancellationToken Terminate = default);

/// <summary>
/// Runs a parsed pipeline through the one executor (SPEC §10): the first stage once, the filters over its items,
/// each later stage once per item (in-process, same runtime and connections), at most <c>--parallel</c> at a time,
/// answers in input order. The answer is one envelope, handle <c>pipeline</c>, verb <c>run</c> (docs/pipelines.md).
/// </summary>
public sealed class PipelineRunner(HandleRegistry registry, ReshRuntime runtime)
{
    public const string Handle = "pipeline";
    public const string Verb = "run";

    /// <summary>True when argv is a pipeline: the one check the command line, batch and the REPL make.</summary>
    public static bool IsPipeline(IReadOnlyList<string> argv) => PipelineSyntax.IsPipeline(argv);

    /// <summary>Called with each per-item envelope of the last stage as it finishes, in input order (--format ndjson).</summary>
    public Action<Envelope>? OnItem { get; init; }

    // The run in progress, read by the watchdog's answer (AnswerStopped) while items still run: every change of it, and
    // every item streamed, is under this lock.
    readonly object _lock = new();
    RunState? _state;

    /// <summary>What a pipeline has done so far: enough to answer for it at any moment.</summary>
    sealed class RunState(PipelinePlan plan, Stopwatch clock)
    {
        public readonly PipelinePlan Plan = plan;
        public readonly Stopwatch Clock = clock;
        public Envelope? First;
        public readonly List<string> Warnings = [];
        public readonly List<JsonObject> FailedHosts = [];
        public List<JsonObject> Items = [];
        public int OkItems, FailedItems, Skipped;
        public bool Changed, Stopped;
        /// <summary>The summary of the last stage that ran (null: the steps so far were filters).</summary>
        public JsonObject? LastSummary;
        /// <summary>True when that stage is the pipeline's last step (its items were streamed under --format ndjson).</summary>
        public bool LastSummaryIsLastStep;
        /// <summary>The stage whose items run now.</summary>
        public StageRun? Running;
        /// <summary>The watchdog answered for the pipeline: nothing more is recorded or streamed.</summary>
        public bool Answered;
    }

    /// <summary>One stage's run over its items: each item's envelope and record as it finishes, its call once it started.</summary>
    sealed class StageRun(StageTemplate stage, List<JsonObject> items)
    {
        public readonly StageTemplate Stage = stage;
        public readonly List<JsonObject> Items = items;
        public readonly JsonObject?[] Records = new JsonObject?[items.Count];
        public readonly Envelope?[] Envs = new Envelope?[items.Count];
        /// <summary>The call of an item that started (handle, verb, target as shown); null for one that never started.</summary>
        public readonly (string Handle, string Verb, string Target)?[] Calls = new (string, string, string)?[items.Count];
        /// <summary>An item that finished or will never start (so the items after it may be streamed).</summary>
        public readonly bool[] Done = new bool[items.Count];
        public int NextToStream;
    }

    public async Task<Envelope> RunAsync(PipelinePlan plan, PipelineTokens tokens, Stopwatch clock)
    {
        RetryPolicy? sourceRetry;
        try { sourceRetry = RetryFor(plan, plan.Source); }
        catch (ReshException ex) { return Fail(ex.Error, plan, clock); }
        var state = new RunState(plan, clock);
        lock (_lock) _state = state;
        var first = await Executor.RunAsync(plan.Source, runtime, OutputFormat.Json, NullSink.Instance, tokens.Cancellation, tokens.Timeout, tokens.Interrupt,
            plan.Globals.DryRun, Stopwatch.StartNew(), plan.Globals.Timeout, tokens.Terminate, sourceRetry).ConfigureAwait(false);
        if (!first.Ok && first.Error?.Code != ErrorCode.Partial) return first.With(durationMs: clock.Elapsed.TotalMilliseconds);
        var failedHosts = new List<JsonObject>();
        var items = ItemsOf(first, failedHosts, out var noList);
        if (noList)
            return Fail(ReshError.Usage($"The result of {plan.Source.HandleName}.{plan.Source.VerbName} has no list of items to pass on.",
                "Start the pipeline with a verb that lists (its result is a list, or has one list field)."), plan, clock);
        lock (_lock)
        {
            state.First = first;
            state.Changed = first.Changed;
            state.Items = items;
            state.FailedHosts.AddRange(failedHosts);
            state.Warnings.AddRange(first.Warnings);
            if (failedHosts.Count > 0)
                state.Warnings.Add($"{failedHosts.Count} host(s) failed in the first stage and gave no items: {string.Join("; ", failedHosts.Take(20).Select(h => $"{h["host"]} ({h["code"]}: {h["message"]})"))}.");
        }

        bool interrupted = false;
        for (int s = 0; s < plan.Steps.Count; s++)
        {
            var step = plan.Steps[s];
            // Stopped (Ctrl-C, SIGTERM, --timeout): the answer holds what ran so far (s42 user D8), no further stage runs.
            if (tokens.Cancellation.IsCancellationRequested) { interrupted = true; break; }
            if (step.Filter is { } filter)
            {
                var warnings = new List<string>();
                if (items.Count > 0)
                    foreach (var f in filter.Reads)
                        if (!items.Any(i => ItemFields.TryGet(i, f, out _, out _)))
                            warnings.Add($"No item has a field `{f}` (in `{filter.Text}`); the items' fields are: {string.Join(", ", items[0].Select(kv => kv.Key))}.");
                try { items = filter.Apply(items); }
                catch (ReshException ex) { return Fail(ex.Error, plan, clock); }
                lock (_lock)
                {
                    state.Warnings.AddRange(warnings);
                    state.Items = items;
                    state.LastSummary = null;
                }
                continue;
            }
            var stage = step.Stage!;
            // A {field} no item has is `usage` before this stage runs for any item.
            if (items.Count > 0)
                foreach (var f in stage.Fields)
                    if (!items.Any(i => ItemFields.TryGet(i, f, out _, out _)))
                        return Fail(ReshError.Usage($"No item has a field `{f}`, so `{stage.Text}` was not run.",
                            $"The items' fields are: {string.Join(", ", items[0].Select(kv => kv.Key))}.", new JsonObject { ["field"] = f }), plan, clock);
            var last = s == plan.Steps.Count - 1;
            var run = new StageRun(stage, items);
            lock (_lock) state.Running = run;
            var stop = await RunStageAsync(run, state, plan, tokens, last ? OnItem : null).ConfigureAwait(false);
            lock (_lock)
            {
                if (state.Answered) break; // the watchdog answered meanwhile: the process is exiting
                Account(state, run, last);
                state.Stopped |= stop;
                items = state.Items;
            }
            if (tokens.Cancellation.IsCancellationRequested) { interrupted = true; break; }
            if (stop) break;
        }
        lock (_lock)
        {
            ReshError? cancel = interrupted ? Executor.CancelError(tokens.Timeout, tokens.Interrupt, runtime) : null;
            var why = cancel is null ? null
                : cancel.Code == ErrorCode.Timeout ? "The pipeline gave up when the --timeout elapsed"
                : tokens.Interrupt.IsCancellationRequested ? "The pipeline was interrupted by a signal" : "The pipeline was cancelled";
            return Compose(state, cancel, why, stillRunning: 0);
        }
    }

    /// <summary>
    /// The watchdog's answer for a pipeline that did not stop within the grace period (Ctrl-C, SIGTERM, --timeout): the
    /// same answer as a pipeline that stopped in time (s42 user D8), with the items that ran; an item still running has
    /// its own error (<paramref name="cancel"/>'s code), the items never started count as skipped. Under --format ndjson,
    /// every finished item not streamed yet (those after the one still running) is streamed first, in input order.
    /// Null before the first stage answered (nothing ran: the caller answers with the error alone).
    /// </summary>
    public Envelope? AnswerStopped(ReshError cancel)
    {
        lock (_lock)
        {
            if (_state is not { First: not null, Answered: false } state) return null;
            state.Answered = true;
            int stillRunning = 0;
            if (state.Running is { } run)
            {
                var lastStep = ReferenceEquals(state.Plan.Steps[^1].Stage, run.Stage);
                var grace = Cli.ReshApp.CancelGrace.TotalSeconds;
                for (int i = 0; i < run.Items.Count; i++)
                {
                    if (run.Envs[i] is not null || run.Calls[i] is not { } call) continue;
                    stillRunning++;
                    var env = Envelope.Failure(cancel with
                        {
                            Message = $"The item was still running {grace:0.#} s after the pipeline was stopped; resh answered without it and exited.",
                            Hint = "It may have acted before it was stopped: check its target.",
                            Details = null,
                        }, call.Handle, call.Verb, call.Target, state.Plan.Globals.DryRun, state.Clock.Elapsed.TotalMilliseconds);
                    run.Envs[i] = env;
                    run.Records[i] = Record(run.Items[i], run.Stage.Fields, env);
                }
                if (lastStep && OnItem is { } onItem)
                    for (; run.NextToStream < run.Items.Count; run.NextToStream++)
                        if (run.Envs[run.NextToStream] is { } e) onItem(e);
                Account(state, run, lastStep);
            }
            var why = cancel.Code == ErrorCode.Timeout ? "The pipeline gave up when the --timeout elapsed"
                : cancel.Code == ErrorCode.Interrupted ? "The pipeline was interrupted" : "The pipeline was stopped";
            return Compose(state, cancel, why, stillRunning);
        }
    }

    /// <summary>Takes a stage's outcome into the run: its records become the items, its counts the summary (under the lock).</summary>
    static void Account(RunState state, StageRun run, bool lastStep)
    {
        int ok = 0, failed = 0, ch = 0, skipped = 0;
        var records = new List<JsonObject>(run.Items.Count);
        for (int i = 0; i < run.Items.Count; i++)
        {
            if (run.Envs[i] is not { } e || run.Records[i] is not { } r) { skipped++; continue; }
            if (e.Ok) ok++; else failed++;
            if (e.Changed) ch++;
            foreach (var w in e.Warnings) if (state.Warnings.Count < 100) state.Warnings.Add($"item {i + 1}: {w}");
            records.Add(r);
        }
        state.OkItems += ok;
        state.FailedItems += failed;
        state.Skipped = skipped;
        state.Changed |= ch > 0;
        state.Items = records;
        state.LastSummary = new JsonObject { ["items"] = run.Items.Count, ["ok"] = ok, ["failed"] = failed, ["skipped"] = skipped, ["changed"] = ch };
        state.LastSummaryIsLastStep = lastStep;
        state.Running = null;
    }

    /// <summary>The pipeline's envelope from what it did (under the lock); <paramref name="cancel"/> when it was stopped.</summary>
    Envelope Compose(RunState state, ReshError? cancel, string? why, int stillRunning)
    {
        var plan = state.Plan;
        var first = state.First!;
        var items = state.Items;
        JsonObject result;
        var streamed = OnItem is not null && state.LastSummary is not null && state.LastSummaryIsLastStep;
        if (state.LastSummary is not null) result = new JsonObject { ["items"] = streamed ? null : ToArray(items), ["summary"] = state.LastSummary.DeepClone() };
        else if (plan.Steps.Count > 0 && plan.Steps[^1].Filter?.Name == "count" && items.Count == 1) result = items[0];
        else result = new JsonObject { ["count"] = items.Count, ["items"] = ToArray(items) };

        ReshError? error = null;
        int failedItems = state.FailedItems, okItems = state.OkItems, skipped = state.Skipped;
        var failedHosts = state.FailedHosts;
        var details = new JsonObject { ["failed_items"] = failedItems, ["skipped_items"] = skipped, ["failed_hosts"] = new JsonArray(failedHosts.Select(h => (JsonNode?)h.DeepClone()).ToArray()) };
        if (cancel is not null)
        {
            // The code says why it stopped (interrupted, timeout; SPEC §3); the result is what ran, as a finished pipeline's.
            var done = okItems + failedItems;
            var what = state.LastSummary is null ? "before any item ran" : $"after {done} of {done + skipped} items ({skipped} not run)";
            var left = stillRunning > 0 ? $"; {stillRunning} still running did not stop within {Cli.ReshApp.CancelGrace.TotalSeconds:0.#} s" : "";
            error = new ReshError(cancel.Code, $"{why} {what}{left}.",
                streamed ? "Each finished item's envelope is on its own line above; the items not run never started."
                    : "Each item that ran is in result.items (one stopped while running has ok false); the items not run never started.",
                details);
        }
        else if (failedItems > 0 || failedHosts.Count > 0 || first.Error?.Code == ErrorCode.Partial)
        {
            var what = failedItems > 0 ? $"{failedItems} of {failedItems + okItems + skipped} items failed"
                : failedHosts.Count > 0 ? $"{failedHosts.Count} host(s) of the first stage failed ({string.Join(", ", failedHosts.Take(3).Select(h => $"{h["host"]}: {h["code"]}"))}{(failedHosts.Count > 3 ? ", …" : "")})"
                : "1 host(s) of the first stage failed";
            error = new ReshError(ErrorCode.Partial, state.Stopped ? $"{what}; stopped at the first failure (--stop-on-error), {skipped} not run." : $"{what}.",
                streamed ? "Each item's envelope is on its own line above; look at those with ok false."
                    : "Each item's outcome is in result.items; look at those with ok false.",
                details);
        }
        return new Envelope
        {
            Ok = error is null, Handle = Handle, Verb = Verb, Target = plan.Text, Changed = state.Changed, DryRun = plan.Globals.DryRun,
            ResultNode = result, Error = error, Warnings = state.Warnings.ToList(), DurationMs = state.Clock.Elapsed.TotalMilliseconds,
            Mutating = plan.Steps.Any(st => st.Stage?.Verb.Effect is { } e && e != Model.Effect.Read),
        };
    }

    static JsonArray ToArray(List<JsonObject> items)
    {
        var a = new JsonArray();
        foreach (var i in items) a.Add(i.Parent is null ? i : i.DeepClone());
        return a;
    }

    Envelope Fail(ReshError error, PipelinePlan plan, Stopwatch clock) =>
        Envelope.Failure(error, Handle, Verb, plan.Text, plan.Globals.DryRun, clock.Elapsed.TotalMilliseconds);

    /// <summary>
    /// Runs a stage once per item, at most --parallel at a time. Each item's envelope and record are kept in
    /// <paramref name="run"/> as it finishes; with <paramref name="onItem"/>, each is streamed in input order as soon as
    /// every item before it finished or is known never to start. True when --stop-on-error stopped it.
    /// </summary>
    async Task<bool> RunStageAsync(StageRun run, RunState state, PipelinePlan plan, PipelineTokens tokens, Action<Envelope>? onItem)
    {
        var items = run.Items;
        bool stop = false;
        using var gate = new SemaphoreSlim(plan.Parallel);

        void Stream()
        {
            while (run.NextToStream < items.Count && run.Done[run.NextToStream])
            {
                if (run.Envs[run.NextToStream] is { } e) onItem!(e);
                run.NextToStream++;
            }
        }

        async Task One(int i)
        {
            try
            {
                var env = await RunItemAsync(run, i, plan, tokens).ConfigureAwait(false);
                lock (_lock)
                {
                    if (state.Answered) return;
                    run.Envs[i] = env;
                    run.Records[i] = Record(items[i], run.Stage.Fields, env);
                }
                if (!env.Ok && plan.StopOnError) Volatile.Write(ref stop, true);
            }
            finally
            {
                gate.Release();
                lock (_lock)
                {
                    run.Done[i] = true;
                    if (onItem is not null && !state.Answered) Stream();
                }
            }
        }

        // Items start in input order, each once a slot is free, each on a thread of its own: a verb that blocks before
        // its first await (opening a FIFO) must not hold back the items after it (s42: with --parallel they never started).
        var tasks = new List<Task>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            if (plan.StopOnError && Volatile.Read(ref stop)) break;
            try { await gate.WaitAsync(tokens.Cancellation).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            // A slot freed by the item that was stopped must not start the next one (it never starts: skipped).
            if (Volatile.Read(ref stop) || tokens.Cancellation.IsCancellationRequested) { gate.Release(); break; }
            var index = i;
            tasks.Add(Task.Run(() => One(index)));
            // With --stop-on-error and one at a time, the next item starts only after this one answered.
            if (plan.StopOnError && plan.Parallel == 1) await tasks[^1].ConfigureAwait(false);
        }
        // Stopped (Ctrl-C, --timeout): an item stopped while running answered for itself (interrupted, timeout); the items
        // that never started have no envelope and count as skipped, as after --stop-on-error.
        try { await Task.WhenAll(tasks).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        // Every item is done now (those never started too): stream what is left, in input order.
        if (onItem is not null)
            lock (_lock)
                if (!state.Answered)
                {
                    for (int i = 0; i < items.Count; i++) run.Done[i] = true;
                    Stream();
                }
        return stop;
    }

    async Task<Envelope> RunItemAsync(StageRun run, int index, PipelinePlan plan, PipelineTokens tokens)
    {
        var stage = run.Stage;
        var item = run.Items[index];
        var clock = Stopwatch.StartNew();
        var inv = new Invocation();
        RetryPolicy? retry;
        try
        {
            var argv = stage.Render(item);
            new CommandLineParser(registry, BatchRunner.NoStdin) { Defaults = () => runtime.Defaults }.Parse(argv, inv);
            if (inv.Handle is null || inv.Handle.Scheme == HandleRegistry.MetaScheme)
                throw ReshError.Usage($"`{stage.Text}` did not make a stage for this item.", "Check the item's fields.").ToException();
            retry = RetryFor(plan, inv);
        }
        catch (ReshException ex)
        {
            return Envelope.Failure(ex.Error, inv.HandleName, inv.VerbName, inv.Handle is null ? stage.Text : stage.Shown(item, inv.EnvelopeTarget), plan.Globals.DryRun, clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Envelope.Failure(ExceptionTranslation.ToError(ex), inv.HandleName, inv.VerbName, stage.Text, plan.Globals.DryRun, clock.Elapsed.TotalMilliseconds);
        }
        // Started: should the watchdog answer before this call does, the item is listed as still running, by this target.
        // (A remote stage's verb is stamped with its inner handle, as the remote's answer names it.)
        lock (_lock) run.Calls[index] = (inv.Verb?.HandleScheme is { Length: > 0 } scheme ? scheme : inv.HandleName, inv.VerbName, stage.Shown(item, inv.EnvelopeTarget));
        var env = await Executor.RunAsync(inv, runtime, OutputFormat.Json, NullSink.Instance, tokens.Cancellation, tokens.Timeout, tokens.Interrupt,
            plan.Globals.DryRun, clock, plan.Globals.Timeout, tokens.Terminate, retry).ConfigureAwait(false);
        var shown = stage.Shown(item, env.Target, env.Host);
        return shown == env.Target ? env : env.WithTarget(shown);
    }

    /// <summary>
    /// The --retry policy of one call of the pipeline, as for the same call on its own: the flags (written anywhere in the
    /// pipeline), else the config's <c>[defaults.HANDLE.VERB]</c>, <c>[defaults.HANDLE]</c>, <c>[defaults]</c> (docs/retry.md).
    /// </summary>
    RetryPolicy? RetryFor(PipelinePlan plan, Invocation inv)
    {
        var g = plan.Globals;
        if (runtime.Defaults is not { } defaults || inv.Handle is not { } handle || inv.Verb is not { } verb) return g.RetryPolicy;
        var merged = new GlobalOptions { Retry = g.Retry, RetryDelay = g.RetryDelay, RetryMaxDelay = g.RetryMaxDelay };
        ConfigDefaults.ApplyRetry(defaults, merged, handle, verb);
        return merged.RetryPolicy;
    }

    /// <summary>One item's outcome: the fields its stage used (and its host), ok, changed, and the stage's result or error.</summary>
    static JsonObject Record(JsonObject item, IReadOnlyList<string> fields, Envelope env)
    {
        JsonObject key;
        if (fields.Count == 0) key = (JsonObject)item.DeepClone();
        else
        {
            key = new JsonObject();
            if (item.TryGetPropertyValue("host", out var h)) key["host"] = h?.DeepClone();
            foreach (var f in fields)
                if (ItemFields.TryGet(item, f, out var v, out var k)) key[k] = v?.DeepClone();
        }
        var json = EnvelopeNode(env);
        return new JsonObject
        {
            ["item"] = key,
            ["ok"] = env.Ok,
            ["changed"] = env.Changed,
            ["target"] = env.Target,
            ["result"] = json["result"]?.DeepClone(),
            ["error"] = json["error"]?.DeepClone(),
        };
    }

    /// <summary>An envelope as the JSON it prints as.</summary>
    static JsonObject EnvelopeNode(Envelope e)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        EnvelopeJson.Write(buffer, e, indented: false);
        return (JsonObject)JsonNode.Parse(buffer.WrittenSpan)!;
    }

    /// <summary>
    /// The items of a stage's answer: its result when that is a list, else the result's list field (the same list
    /// --format ndjson prints). A remote host's answer gives its items with a <c>host</c> field; a fleet's answer gives
    /// every host's items, each with its <c>host</c> (hosts that failed give none and are listed).
    /// </summary>
    internal static List<JsonObject> ItemsOf(Envelope env, List<JsonObject> failedHosts, out bool noList)
    {
        noList = false;
        var node = env.ResultAsNode();
        if (env.ResultNode is JsonObject fleet && fleet["hosts"] is JsonArray hosts && fleet["summary"] is JsonObject summary && summary.ContainsKey("unreachable"))
        {
            var all = new List<JsonObject>();
            foreach (var h in hosts)
            {
                if (h is not JsonObject he) continue;
                var host = he["host"] is JsonValue hv && hv.TryGetValue<string>(out var hs) ? hs : "?";
                if (he["ok"] is not JsonValue ok || !ok.TryGetValue<bool>(out var isOk) || !isOk) { failedHosts.Add(FailedHost(host, he["error"])); continue; }
                all.AddRange(WithHost(ListOf(he["result"], null, out _), host));
            }
            return all;
        }
        var items = ListOf(node, NdjsonLines.NotItemsOf(env.ResolvedResultType), out noList);
        return env.Host != "local" ? WithHost(items, env.Host) : items;
    }

    /// <summary>
    /// A host of the first stage that gave no items, as the pipeline's envelope keeps it: the host, its error's code and
    /// message (and hint), so the reason survives the fan-out (s42 user D11: only the names were kept).
    /// </summary>
    static JsonObject FailedHost(string host, JsonNode? error)
    {
        static string? Text(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var failed = new JsonObject
        {
            ["host"] = host,
            ["code"] = Text(error?["code"]) ?? ErrorCode.Failed.ToWire(),
            ["message"] = Text(error?["message"]) ?? "The host gave no answer.",
        };
        if (Text(error?["hint"]) is { } hint) failed["hint"] = hint;
        return failed;
    }

    static List<JsonObject> WithHost(List<JsonObject> items, string host)
    {
        // Always the host that answered: a `host` field the remote put into its own items would otherwise choose where a
        // later `ssh://{host}/…` stage runs, or pass a `where host == …` filter (s40 attacker #1).
        foreach (var i in items) i["host"] = host;
        return items;
    }

    /// <summary>The list of a result, detached from it: a list itself, else its first list field (records first); scalars become {value}.</summary>
    static List<JsonObject> ListOf(JsonNode? result, IReadOnlySet<string>? notItems, out bool noList)
    {
        noList = false;
        JsonArray? list = result as JsonArray;
        if (list is null && result is JsonObject obj)
        {
            JsonArray? firstEmpty = null, firstScalars = null;
            foreach (var (k, v) in obj)
            {
                if (v is not JsonArray a || notItems?.Contains(k) == true) continue;
                if (a.Count == 0) { firstEmpty ??= a; continue; }
                if (a.All(x => x is JsonObject)) { list = a; break; }
                firstScalars ??= a;
            }
            list ??= firstScalars ?? firstEmpty;
        }
        if (list is null) { noList = true; return []; }
        var nodes = list.ToList();
        list.Clear(); // detaches the items, so they can join other lists without a copy
        return nodes.Select(n => n as JsonObject ?? new JsonObject { ["value"] = n }).ToList();
    }

    sealed class NullSink : IEventSink
    {
        public static readonly NullSink Instance = new();
        public void Emit(string eventName, JsonObject fields) { }
    }
}
