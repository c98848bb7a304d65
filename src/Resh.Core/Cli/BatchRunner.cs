using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Registry;
using Resh.Core.Values;

namespace Resh.Core.Cli;

/// <summary>
/// <c>resh batch</c>: one JSON request per stdin line, one envelope per stdout line, one process.
/// A bad line answers with its own error envelope and the batch goes on.
/// </summary>
internal sealed class BatchRunner(HandleRegistry registry, ReshRuntime runtime, OutputWriter output, GlobalOptions globals)
{
    public async Task<int> RunAsync(AppIO io, TimeSpan grace)
    {
        using var interrupt = new CancellationTokenSource();
        System.Runtime.InteropServices.PosixSignalRegistration? sigint = null, sigterm = null;
        if (io.HandleSignals)
        {
            sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; interrupt.Cancel(); });
            sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; interrupt.Cancel(); });
        }
        int requests = 0, failed = 0, lineNumber = 0;
        var deferred = runtime.Deferred = new DeferredSync();
        try
        {
            var reader = new BatchLines(io.Stdin);
            while (!interrupt.IsCancellationRequested)
            {
                string? line;
                try { line = await reader.ReadLineAsync(interrupt.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                if (line is null) break;
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                requests++;
                var before = deferred.Registered;
                var env = await RunLineAsync(line, lineNumber, interrupt.Token, async () => failed += await FlushHeldAsync().ConfigureAwait(false)).ConfigureAwait(false);
                var deferredOne = deferred.Registered != before;
                if (_held.Count == 0 && !deferredOne)
                {
                    if (await output.WriteEnvelopeAsync(env).ConfigureAwait(false) != 0) failed++;
                    continue;
                }
                // Group commit: the answer waits for the fsync it deferred, shared with the next lines while they are already waiting.
                _held.Add((env, deferredOne ? deferred.Registered : 0));
                if (_held.Count >= MaxHeld || !reader.NextReady()) failed += await FlushHeldAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            failed += await FlushHeldAsync().ConfigureAwait(false);
            runtime.Deferred = null;
            sigint?.Dispose();
            sigterm?.Dispose();
            output.Flush();
        }
        if (interrupt.IsCancellationRequested) return ErrorCode.Interrupted.ExitStatus();
        return failed == 0 ? 0 : ErrorCode.Partial.ExitStatus();
    }

    /// <summary>Answers held for a deferred fsync (in order), and the registration each deferred (0: none).</summary>
    readonly List<(Envelope Env, long Registration)> _held = [];

    /// <summary>At most this many answers wait for one group fsync.</summary>
    const int MaxHeld = 1000;

    /// <summary>Runs the pending fsyncs, then writes the held answers; a failed sync turns every line that deferred one into a failure. Returns how many failed.</summary>
    async Task<int> FlushHeldAsync()
    {
        if (_held.Count == 0 && runtime.Deferred is not { Pending: true }) return 0;
        var error = runtime.Deferred?.Flush();
        int failed = 0;
        foreach (var (env, registration) in _held)
        {
            var answer = env;
            var own = registration > 0 ? runtime.Deferred?.TakeLineFailure(registration) : null;
            if (own is not null && env.Ok)
                answer = Envelope.Failure(own, env.Handle, env.Verb, env.Target, env.DryRun, env.DurationMs, env.Id, hasId: true);
            else if (error is not null && registration > 0 && env.Ok)
                answer = Envelope.Failure(ReshError.Failed($"The data was written but could not be flushed to disk: {error.Message}",
                        "Check the disk and the state directory, then send the request again (it may have been kept)."),
                    env.Handle, env.Verb, env.Target, env.DryRun, env.DurationMs, env.Id, hasId: true);
            if (await output.WriteEnvelopeAsync(answer).ConfigureAwait(false) != 0) failed++;
        }
        _held.Clear();
        return failed;
    }

    /// <param name="lineNumber">The line's number in the input (1 for the first, blank lines counted), which a pipeline's parse error names.</param>
    async Task<Envelope> RunLineAsync(string line, int lineNumber, CancellationToken interrupt, Func<Task> flushBefore)
    {
        var clock = Stopwatch.StartNew();
        JsonNode? id = null;
        var inv = new Invocation();
        bool dryRun = globals.DryRun;
        TimeSpan? timeout = globals.Timeout;
        var retry = new GlobalOptions { Retry = globals.Retry, RetryDelay = globals.RetryDelay, RetryMaxDelay = globals.RetryMaxDelay };
        Pipeline.PipelinePlan? pipeline = null;
        try
        {
            JsonObject request;
            try
            {
                request = JsonNode.Parse(line) as JsonObject
                    ?? throw ReshError.Usage("A batch line must be a JSON object.", "Example: {\"id\":1,\"stage\":\"file:///etc/hosts\",\"verb\":\"stat\"}").ToException();
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException)
            {
                var bytePos = (ex as JsonException)?.BytePositionInLine;
                throw ReshError.Usage($"The line is not valid JSON (at byte {(bytePos ?? 0) + 1}).", "One JSON object per line.").ToException();
            }
            id = request["id"]?.DeepClone();
            foreach (var (key, _) in request)
            {
                if (Array.IndexOf(RequestKeys, key) < 0)
                    throw ReshError.Usage($"Unknown key \"{Clip(key)}\" in the request; nothing was run.",
                        Text.Suggest.Hint(key, RequestKeys) ?? $"A request has the keys {string.Join(", ", RequestKeys)}.",
                        new JsonObject { ["key"] = key }).ToException();
            }
            var stage = Str(request, "stage") ?? throw ReshError.Usage("The request has no \"stage\".", "Add \"stage\": \"file:///etc/hosts\".").ToException();
            var verb = Str(request, "verb");
            var args = request["args"] switch
            {
                null => null,
                JsonObject o => o,
                _ => throw ReshError.Usage("\"args\" must be a JSON object.", "Example: \"args\": {\"lines\": 5}").ToException(),
            };
            if (request.TryGetPropertyValue("dry_run", out var dn))
            {
                if (dn is not JsonValue dv || dv.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    throw ReshError.Usage("\"dry_run\" must be true or false; nothing was run.", "Example: \"dry_run\": true").ToException();
                dryRun = dv.GetValue<bool>() || globals.DryRun;
            }
            if (request["timeout"] is JsonNode tn)
            {
                var text = tn is JsonValue tv && tv.GetValueKind() == JsonValueKind.Number ? tv.GetValue<double>() + "s" : Str(request, "timeout");
                if (text is null || !DurationValue.TryParse(text, out var t) || t <= TimeSpan.Zero)
                    throw ReshError.Usage("\"timeout\" must be a positive duration.", "Example: \"timeout\": \"30s\"").ToException();
                timeout = t;
            }
            // A line's own "retry", "retry_delay" and "retry_max_delay" win over the batch's flags and the config.
            if (request["retry"] is JsonNode rn)
                retry.Retry = rn is JsonValue rv && rv.TryGetValue<long>(out var n) && n >= 0 && n <= RetryPolicy.MaxRetries ? (int)n
                    : throw ReshError.Usage($"\"retry\" must be a number from 0 to {RetryPolicy.MaxRetries}; nothing was run.", "Example: \"retry\": 3").ToException();
            if (request["retry_delay"] is not null) retry.RetryDelay = GlobalFlags.ParseRetryDuration("\"retry_delay\"", Str(request, "retry_delay"));
            if (request["retry_max_delay"] is not null) retry.RetryMaxDelay = GlobalFlags.ParseRetryDuration("\"retry_max_delay\"", Str(request, "retry_max_delay"));
            if (Pipeline.PipelineSyntax.IsPipeline([stage]))
            {
                // A pipeline as the stage (docs/pipelines.md): its flags are written in the stage text.
                if (verb is not null || args is not null)
                    throw ReshError.Usage("A pipeline request takes neither \"verb\" nor \"args\"; nothing was run.",
                        "Write each stage's verb and arguments in the stage text: \"stage\": \"proc://.list(name=sleep) | proc://{pid}.kill\"").ToException();
                try
                {
                    pipeline = Pipeline.PipelinePlan.Parse([stage], registry, NoStdin, () => runtime.Defaults,
                        new GlobalOptions { DryRun = dryRun, Timeout = timeout, Retry = retry.Retry, RetryDelay = retry.RetryDelay, RetryMaxDelay = retry.RetryMaxDelay });
                }
                catch (ReshException ex)
                {
                    // The pipeline's envelope, naming the line and (PipelinePlan) the stage that failed (s42 user review: it
                    // answered `resh` with an empty target).
                    var details = ex.Error.Details?.DeepClone() as JsonObject ?? new JsonObject();
                    details["line"] = lineNumber;
                    return Envelope.Failure(ex.Error with { Message = $"Line {lineNumber}: {ex.Error.Message}", Details = details },
                        Pipeline.PipelineRunner.Handle, Pipeline.PipelineRunner.Verb, stage, dryRun, clock.Elapsed.TotalMilliseconds, id, hasId: true);
                }
            }
            else
            {
                if (verb is not null && Pipeline.PipelineSyntax.LooksLikePipeline(stage, verb))
                    throw ReshError.Usage("A pipeline is written whole in \"stage\"; \"verb\" names one verb.",
                        "Write \"stage\": \"proc://.list | where name == 'sleep' | count\" without \"verb\".").ToException();
                var parser = new CommandLineParser(registry, NoStdin)
                {
                    Defaults = () => runtime.Defaults,
                };
                parser.ParseRequest(stage, verb, args, inv);
                if (runtime.Defaults is { } defaults && inv.Handle is { } h && inv.Verb is { } v) Config.ConfigDefaults.ApplyRetry(defaults, retry, h, v);
            }
        }
        catch (Exception ex) when (ex is ReshException or not OutOfMemoryException)
        {
            var error = ex is ReshException r ? r.Error : ExceptionTranslation.ToError(ex);
            return Envelope.Failure(error, inv.HandleName, inv.VerbName, inv.Handle is null ? inv.StageText : inv.EnvelopeTarget,
                dryRun, clock.Elapsed.TotalMilliseconds, id, hasId: true);
        }

        if (pipeline is not null)
        {
            await flushBefore().ConfigureAwait(false);
            var pt = pipeline.Globals.Timeout;
            using var pipelineTimeout = pt is { } ptt ? new CancellationTokenSource(ptt) : null;
            var ptToken = pipelineTimeout?.Token ?? CancellationToken.None;
            using var pipelineLinked = CancellationTokenSource.CreateLinkedTokenSource(interrupt, ptToken);
            Envelope answer;
            try
            {
                answer = await new Pipeline.PipelineRunner(registry, runtime).RunAsync(pipeline, new Pipeline.PipelineTokens(pipelineLinked.Token, ptToken, interrupt), clock).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                answer = Envelope.Failure(Executor.CancelError(ptToken, interrupt, runtime), Pipeline.PipelineRunner.Handle, Pipeline.PipelineRunner.Verb, pipeline.Text,
                    pipeline.Globals.DryRun, clock.Elapsed.TotalMilliseconds);
            }
            return answer.With(id: id, hasId: true);
        }

        // A line that does not defer its own fsync runs only after every earlier line's data is on disk (and answered).
        if (inv.Verb is not { DefersSync: true } || dryRun) await flushBefore().ConfigureAwait(false);
        using var timeoutCts = timeout is { } tt ? new CancellationTokenSource(tt) : null;
        var timeoutToken = timeoutCts?.Token ?? CancellationToken.None;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(interrupt, timeoutToken);
        var events = new EventSink(output, id, true);
        var env = await Executor.RunAsync(inv, runtime, OutputFormat.Ndjson, events, linked.Token, timeoutToken, interrupt, dryRun, clock, timeout,
            retry: retry.RetryPolicy).ConfigureAwait(false);
        return new Envelope
        {
            Ok = env.Ok, Handle = env.Handle, Verb = env.Verb, Target = env.Target, Host = env.Host, Changed = env.Changed,
            DryRun = env.DryRun, Result = env.Result, ResultType = env.ResultType, ResultTypeFactory = env.ResultTypeFactory, ResultDeclaredType = env.ResultDeclaredType, ResultNode = env.ResultNode, Error = env.Error,
            Warnings = env.Warnings, Attempts = env.Attempts, DurationMs = env.DurationMs, Timestamp = env.Timestamp, Id = id, HasId = true, Revealed = env.Revealed,
        };
    }

    /// <summary>Every key a request may have: a misspelt one (`dryrun`) must not be ignored while the verb runs for real.</summary>
    static readonly string[] RequestKeys = ["id", "stage", "verb", "args", "dry_run", "timeout", "retry", "retry_delay", "retry_max_delay"];

    static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;

    internal static StdinSource NoStdin => StdinSource.Unavailable("Standard input carries the batch requests; @- is not available.", "Pass the value in \"args\".");

    static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
