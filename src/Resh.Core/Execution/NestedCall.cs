using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Output;

namespace Resh.Core.Execution;

/// <summary>
/// One handle calling another handle's verb in the same process (cert:// acme.issue publishing a dns-01 record through
/// dns://NAME.record.add): the stage, verb and arguments are parsed and validated by the callee's own declaration, as a
/// `resh batch` request is, and it runs with the caller's dry-run flag, cancellation and time left. Arguments go as JSON
/// values in memory (a secret-typed one as its source, `env:VAR` or `file:PATH`), never through argv. The callee's
/// warnings become the caller's, prefixed with its stage. Only handles registered in this build can be called.
/// </summary>
public static class NestedCall
{
    /// <param name="cancellation">Instead of the caller's (clean-up that must run after the caller was cancelled); the callee then has no deadline of its own.</param>
    public static async Task<Envelope> RunAsync(VerbContext caller, string stage, string? verb, JsonObject args, CancellationToken? cancellation = null)
    {
        var registry = caller.Runtime.Handles
            ?? throw ReshError.Unsupported($"{caller.Verb.FullName} cannot call {stage} here: no handle registry in this runtime.", null).ToException();
        var inv = new Invocation();
        var parser = new CommandLineParser(registry, BatchRunner.NoStdin) { Defaults = () => caller.Runtime.Defaults };
        // Bound exactly as a batch line's parsed JSON is (a number built in code is not yet a JSON number to the binder).
        parser.ParseRequest(stage, verb, (JsonObject)JsonNode.Parse(args.ToJsonString())!, inv);
        var clock = Stopwatch.StartNew();
        var env = await Executor.RunAsync(inv, caller.Runtime, OutputFormat.Json, NoEvents.Instance, cancellation ?? caller.Cancellation,
            CancellationToken.None, CancellationToken.None, caller.DryRun, clock, cancellation is null ? caller.TimeRemaining : null).ConfigureAwait(false);
        foreach (var w in env.Warnings) caller.Warn($"{inv.EnvelopeTarget} {inv.Verb?.Name ?? verb}: {w}");
        return env;
    }

    sealed class NoEvents : IEventSink
    {
        public static readonly NoEvents Instance = new();
        public void Emit(string eventName, JsonObject fields) { }
    }
}
