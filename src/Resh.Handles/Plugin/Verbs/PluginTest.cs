using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Plugin.Verbs;

public static class PluginTest
{
    static readonly Arg<string?> Name = Arg.String("name", "An installed plugin (or give it as the target).");
    static readonly Arg<string?> PathArg = Arg.String("path", "A plugin directory not installed yet (what you are writing).", path: PathUse.Read);

    public static readonly VerbInfo Verb = VerbInfo.Define("test", Effect.Mutate,
        "Run every example of a plugin's manifest and check the request against the args schema, the envelope's shape, the result against the result schema and the example's expected result.",
        [Name, PathArg], () => PluginJson.Default.PluginTestResult, RunAsync,
        examples:
        [
            new("plugin://hello.test", "Test the installed hello plugin."),
            new("plugin://.test path=./hello", "Test a plugin directory before installing it."),
        ],
        notes: "The plugin's examples really run (a write verb's example writes; under --dry-run each request has dry_run: true). "
            + "Exit partial (9) when an example fails, with every case in the result. For a directory, files that differ from the checksums are a warning "
            + "(install refuses them; resh plugin://.checksums path=DIR updates them).").WithRunsPrograms();

    static async ValueTask<Outcome<PluginTestResult>> RunAsync(VerbContext ctx)
    {
        LoadedPlugin plugin;
        var path = ctx.Get(PathArg);
        if (path is not null)
        {
            if (ctx.Target.Length > 0 || ctx.IsSet(Name)) return ReshError.Usage("Give an installed plugin's name or path=, not both.", "Example: resh plugin://.test path=./hello");
            var dir = System.IO.Path.GetFullPath(path);
            if (!Directory.Exists(dir)) return ReshError.NotFound($"No directory {dir}.", "Name a plugin directory (the one that holds plugin.json).");
            var manifest = PluginManifest.Load(System.IO.Path.Combine(dir, PluginManifest.FileName));
            plugin = new LoadedPlugin(dir, manifest);
            var bad = PluginStore.Mismatches(dir, manifest);
            if (bad.Count > 0) ctx.Warn($"{bad.Count} file(s) differ from the manifest's checksums ({string.Join(", ", bad.Take(5))}); install would refuse them: resh plugin://.checksums path={dir}");
        }
        else
        {
            var store = PluginHandle.Store(ctx);
            var name = PluginHandle.NameOf(ctx, Name);
            if (!store.IsInstalled(name)) return PluginHandle.NotInstalled(store, name);
            if (store.ReadState(name) is { Enabled: false } st)
                return ReshError.Conflict($"The plugin {name} is disabled{(st.Problem is { } why ? $" ({why})" : "")}; resh does not run a disabled plugin, not even its examples.",
                    $"Enable it first (resh plugin://{name}.enable), or test its source directory: resh plugin://.test path=DIR",
                    new JsonObject { ["name"] = name });
            var (loaded, problem) = PluginHandles.TryLoad(store, name);
            if (loaded is null) return ReshError.Failed(problem ?? $"The plugin {name} does not load.", $"resh plugin://{name}.info");
            if (PluginHandles.CheckIntegrity(loaded) is { } refused) return refused;
            plugin = loaded;
        }

        var cases = new List<PluginTestCase>();
        var m = plugin.Manifest;
        foreach (var verb in m.Verbs)
        {
            if (ctx.DryRun && verb.Effect is "write" or "destroy" && !verb.DryRun && verb.Examples.Count > 0)
            {
                ctx.Warn($"The examples of {verb.Name} ({verb.Effect}) were not run: the verb does not declare \"dry_run\": true, so under --dry-run resh does not run it.");
                continue;
            }
            foreach (var example in verb.Examples)
            {
                ctx.Cancellation.ThrowIfCancellationRequested();
                var problems = new List<string>();
                foreach (var p in PluginSchema.Validate(PluginManifest.WireSchema(verb.Args), example.Args)) problems.Add("request args: " + p);
                var request = PluginHandles.Request(m, example.Target, verb.Name, (JsonObject)example.Args.DeepClone(), ctx.DryRun);
                var answer = await PluginRunner.RunAsync(plugin, request, ctx.TimeRemaining ?? ctx.Timeout, () => ctx.TimedOut, ctx.Cancellation).ConfigureAwait(false);
                if (answer.Envelope is { } env)
                {
                    foreach (var (k, _) in env)
                        if (k is not ("ok" or "changed" or "result" or "warnings" or "error")) problems.Add($"envelope: unknown key `{k}`.");
                    if (env["changed"] is { } ch && ch.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)) problems.Add("envelope: `changed` is not a boolean.");
                    if (env["warnings"] is { } wn && wn is not JsonArray) problems.Add("envelope: `warnings` is not an array.");
                    if (verb.Effect == "read" && answer.Changed) problems.Add("envelope: a read verb answered changed: true.");
                }
                if (!answer.Ok) problems.Add($"the plugin answered {answer.Error!.Code.ToWire()}: {answer.Error.Message}");
                else
                {
                    foreach (var p in PluginSchema.Validate(verb.Result, answer.Result)) problems.Add("result: " + p);
                    if (example.HasResult && !JsonNode.DeepEquals(example.Result, answer.Result))
                        problems.Add($"result: expected {Clip(example.Result?.ToJsonString() ?? "null")}, got {Clip(answer.Result?.ToJsonString() ?? "null")}.");
                }
                JsonNode? error = answer.Error is { } e ? new JsonObject { ["code"] = e.Code.ToWire(), ["message"] = e.Message, ["details"] = e.Details?.DeepClone() } : null;
                cases.Add(new PluginTestCase(verb.Name, example.Call, problems.Count == 0, problems, Math.Round(answer.DurationMs, 2), answer.Result, error));
            }
        }
        var passed = cases.Count(c => c.Passed);
        var result = new PluginTestResult(m.Name, m.Version, plugin.Dir, passed, cases.Count - passed, cases);
        if (cases.Count == 0) ctx.Warn("The manifest has no examples; nothing was run. Add examples to its verbs.");
        if (passed < cases.Count)
            return Outcome.Partial(result, false, $"{cases.Count - passed} of {cases.Count} example(s) of {m.Name} failed.", "Each failed case lists its problems.");
        return result;
    }

    static string Clip(string s) => s.Length > 300 ? s[..300] + "…" : s;
}
