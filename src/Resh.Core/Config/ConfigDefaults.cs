using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Registry;
using Resh.Core.Text;
using Resh.Core.Values;

namespace Resh.Core.Config;

/// <summary>
/// <c>[defaults]</c> in the config file: global flags (<c>format</c>, <c>timeout</c>, <c>forks</c>,
/// <c>no_color</c>) and argument defaults per handle (<c>[defaults.archive]</c> applies to every
/// archive verb that declares the argument) or per verb (<c>[defaults.archive.create]</c>). Anything
/// given on the command line, in parentheses, in --args or in a batch request wins. Values are typed
/// by the same declarations as the command line; a key no verb declares is a usage error naming it.
/// </summary>
public static class ConfigDefaults
{
    public static readonly string[] GlobalKeys = ["format", "timeout", "forks", "no_color", "retry", "retry_delay", "retry_max_delay"];

    /// <summary>The --retry keys, which may also stand in a handle's or a verb's table (<c>[defaults.http.get] retry = 3</c>).</summary>
    public static readonly string[] RetryKeys = ["retry", "retry_delay", "retry_max_delay"];

    static bool IsRetryKey(string key) => Array.IndexOf(RetryKeys, key) >= 0;

    /// <summary>
    /// Fills the --retry settings the command line (or a batch line) left unset from the config: the verb's table
    /// first (<c>[defaults.http.get]</c>), then the handle's (<c>[defaults.http]</c>), then <c>[defaults]</c>.
    /// </summary>
    public static void ApplyRetry(JsonObject defaults, GlobalOptions g, HandleInfo handle, VerbInfo verb)
    {
        if (defaults[handle.Scheme] is JsonObject table)
        {
            if (table[verb.Name] is JsonObject own) ApplyRetryKeys(own, g, $"[defaults.{handle.Scheme}.{verb.Name}]");
            ApplyRetryKeys(table, g, $"[defaults.{handle.Scheme}]");
        }
        ApplyRetryKeys(defaults, g, "[defaults]");
    }

    static void ApplyRetryKeys(JsonObject table, GlobalOptions g, string where)
    {
        foreach (var key in RetryKeys)
        {
            if (!table.TryGetPropertyValue(key, out var value)) continue;
            try
            {
                switch (key)
                {
                    case "retry":
                        if (value is not JsonValue rv || !rv.TryGetValue<long>(out var n) || n < 0 || n > Execution.RetryPolicy.MaxRetries) throw new FormatException();
                        g.Retry ??= (int)n;
                        break;
                    case "retry_delay":
                        g.RetryDelay ??= GlobalFlags.ParseRetryDuration("retry_delay", Text(key, value));
                        break;
                    case "retry_max_delay":
                        g.RetryMaxDelay ??= GlobalFlags.ParseRetryDuration("retry_max_delay", Text(key, value));
                        break;
                }
            }
            catch (Exception ex) when (ex is FormatException or ReshException)
            {
                throw ReshError.Usage($"`{key} = {value?.ToJsonString() ?? "null"}` in {where} of the config file is not valid.",
                    key == "retry" ? $"A number from 0 to {Execution.RetryPolicy.MaxRetries}." : "A duration from 0 to 10m: \"200ms\", \"2s\".").ToException();
            }
        }
    }

    /// <summary>Applies the global keys to flags the command line left unset.</summary>
    public static void ApplyGlobals(JsonObject defaults, GlobalOptions g, HandleRegistry registry)
    {
        foreach (var (key, value) in defaults)
        {
            if (value is JsonObject) { CheckHandle(key, registry); continue; }
            switch (key)
            {
                case "format":
                    if (Text(key, value) is var f && !OutputFormats.TryParse(f, out var format))
                        throw Bad(key, value, $"One of: {string.Join(", ", OutputFormats.Names)}.");
                    else if (!g.FormatGiven) g.Format = format;
                    break;
                case "timeout":
                    if (!DurationValue.TryParse(Text(key, value), out var t) || t <= TimeSpan.Zero) throw Bad(key, value, "A positive duration: \"30s\", \"5m\".");
                    g.Timeout ??= t;
                    break;
                case "forks":
                    if (value is not JsonValue fv || !fv.TryGetValue<long>(out var n) || n < 1 || n > 1000) throw Bad(key, value, "A number from 1 to 1000.");
                    g.Forks ??= (int)n;
                    break;
                case "retry" or "retry_delay" or "retry_max_delay":
                    break; // ApplyRetry: a handle's or verb's own table comes first
                case "no_color":
                    if (value is not JsonValue bv || bv.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) throw Bad(key, value, "true or false.");
                    if (bv.GetValue<bool>()) g.NoColor = true;
                    break;
                default:
                    throw ReshError.Usage($"Unknown key `{key}` in [defaults] of the config file.",
                        Suggest.Hint(key, GlobalKeys.Concat(registry.Visible.Select(h => h.Scheme))) ??
                        $"[defaults] takes {string.Join(", ", GlobalKeys)}, and a [defaults.HANDLE] table per handle.").ToException();
            }
        }
    }

    static void CheckHandle(string scheme, HandleRegistry registry)
    {
        var h = registry.Find(scheme);
        if (h is null || h.Hidden)
            throw ReshError.Usage($"[defaults.{scheme}] in the config file names no handle.",
                Suggest.Hint(scheme, registry.Visible.Select(x => x.Scheme), prefix: "[defaults.", suffix: "]") ?? "Run `resh handles` for the handle names.").ToException();
    }

    /// <summary>
    /// The argument defaults for <paramref name="verb"/>: the handle's table, overridden by the verb's own.
    /// A key that no verb of the handle declares (or, in a verb table, that verb) is a usage error.
    /// </summary>
    public static IEnumerable<(ArgInfo Arg, JsonNode? Value)> ForVerb(JsonObject defaults, HandleInfo handle, VerbInfo verb)
    {
        if (defaults[handle.Scheme] is not JsonObject table) yield break;
        var result = new Dictionary<ArgInfo, JsonNode?>(ReferenceEqualityComparer.Instance);
        foreach (var (key, value) in table)
        {
            if (IsRetryKey(key)) continue; // --retry settings for the handle's verbs (ApplyRetry)
            var name = CommandLineParser.Normalize(key);
            if (value is JsonObject verbTable && handle.FindVerb(key) is { } named)
            {
                if (!ReferenceEquals(named, verb)) CheckVerbTable(handle, named, verbTable);
                continue; // this verb's own table is applied below, over the handle-wide keys
            }
            if (verb.FindArg(name) is { } arg) { result[arg] = value; continue; }
            if (handle.Verbs.Any(v => v.FindArg(name) is not null)) continue; // for another verb of the handle
            if (value is JsonObject)
                throw ReshError.Usage($"[defaults.{handle.Scheme}.{key}] in the config file names no verb of {handle.Scheme}://.",
                    Suggest.Hint(key, handle.Verbs.Select(v => v.Name), prefix: $"[defaults.{handle.Scheme}.", suffix: "]") ?? $"Verbs: {string.Join(", ", handle.Verbs.Select(v => v.Name))}.").ToException();
            throw ReshError.Usage($"`{key}` in [defaults.{handle.Scheme}] of the config file is not an argument of any {handle.Scheme}:// verb.",
                Suggest.Hint(key, handle.Verbs.SelectMany(v => v.Args).Select(a => a.Name).Distinct()) ?? $"Run `resh help {handle.Scheme}` for the arguments.").ToException();
        }
        if (table[verb.Name] is JsonObject own)
        {
            foreach (var (key, value) in own)
            {
                if (IsRetryKey(key)) continue;
                var arg = verb.FindArg(CommandLineParser.Normalize(key)) ?? throw UnknownInVerb(handle, verb, key);
                result[arg] = value;
            }
        }
        foreach (var (arg, value) in result) yield return (arg, value);
    }

    static void CheckVerbTable(HandleInfo handle, VerbInfo verb, JsonObject table)
    {
        foreach (var (key, _) in table)
            if (!IsRetryKey(key) && verb.FindArg(CommandLineParser.Normalize(key)) is null) throw UnknownInVerb(handle, verb, key);
    }

    static ReshException UnknownInVerb(HandleInfo handle, VerbInfo verb, string key) =>
        ReshError.Usage($"`{key}` in [defaults.{handle.Scheme}.{verb.Name}] of the config file is not an argument of {verb.FullName}.",
            Suggest.Hint(key, verb.Args.Select(a => a.Name)) ?? (verb.Args.Count == 0 ? $"{verb.FullName} takes no arguments." : $"Arguments: {string.Join(", ", verb.Args.Select(a => a.Name))}.")).ToException();

    static string Text(string key, JsonNode? value) =>
        value is JsonValue v && v.TryGetValue<string>(out var s) ? s
        : value is JsonValue n && n.GetValueKind() == JsonValueKind.Number ? n.ToJsonString()
        : throw Bad(key, value, "A string.");

    static ReshException Bad(string key, JsonNode? value, string hint) =>
        ReshError.Usage($"`{key} = {value?.ToJsonString() ?? "null"}` in [defaults] of the config file is not valid.", hint).ToException();
}
