using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Model;
using Resh.Core.Output;

namespace Resh.Handles.Ssh.Remote;

/// <summary>
/// A remote resh's JSON envelope read back into an <see cref="Envelope"/>: every field kept as the
/// remote wrote it (the same shape as a local run), with <c>host</c> set to the host's alias.
/// </summary>
public static class RemoteEnvelope
{
    public static bool LooksLikeEnvelope(string line) => line.StartsWith("{\"ok\":", StringComparison.Ordinal);

    public static Envelope? TryParse(string line, string host, VerbInfo innerVerb, bool typedResult, Func<string?, string?>? hint = null)
    {
        JsonObject? o;
        try { o = JsonNode.Parse(line) as JsonObject; }
        catch (JsonException) { return null; }
        if (o is null || o["ok"] is not JsonValue okValue || !okValue.TryGetValue<bool>(out var ok)) return null;

        var resultNode = o["result"];
        o.Remove("result"); // detach, so the node can live in another tree
        object? typed = null;
        if (typedResult && ok && resultNode is not null && innerVerb.Human is not null)
        {
            // Table mode renders the result exactly as a local run would, with the verb's own renderer.
            try { typed = resultNode.Deserialize(innerVerb.ResultType); }
            catch (JsonException) { }
            catch (NotSupportedException) { }
        }
        return new Envelope
        {
            Ok = ok,
            Handle = Str(o["handle"]) ?? innerVerb.HandleScheme,
            Verb = Str(o["verb"]) ?? innerVerb.Name,
            Target = Str(o["target"]) ?? "",
            Host = host,
            Changed = o["changed"] is JsonValue c && c.TryGetValue<bool>(out var changed) && changed,
            DryRun = o["dry_run"] is JsonValue d && d.TryGetValue<bool>(out var dry) && dry,
            ResultNode = ok ? resultNode : null,
            Result = typed,
            ResultType = typed is null ? null : innerVerb.ResultType,
            Human = typed is null ? null : innerVerb.Human,
            Mutating = innerVerb.Effect != Effect.Read,
            Error = o["error"] is JsonObject e ? Error(e, hint) : ok ? null : ReshError.Failed("The remote resh failed without an error."),
            Warnings = o["warnings"] is JsonArray w ? w.Select(x => Str(x) ?? "").ToArray() : [],
            DurationMs = o["duration_ms"] is JsonValue ms && ms.TryGetValue<double>(out var dms) ? dms : 0,
            Timestamp = Str(o["ts"]) is { } ts && DateTime.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? t : DateTime.UtcNow,
        };
    }

    /// <summary>The remote error as written: details are kept as they are (a transient flag included).</summary>
    static ReshError Error(JsonObject e, Func<string?, string?>? hint)
    {
        var code = ErrorCodes.TryParse(Str(e["code"]) ?? "failed", out var c) ? c : ErrorCode.Failed;
        var details = e["details"] as JsonObject;
        e.Remove("details");
        var h = Str(e["hint"]);
        return new ReshError(code, Str(e["message"]) ?? "The remote operation failed.", hint is null ? h : hint(h), details)
        {
            Transient = details?["transient"] is JsonValue t && t.TryGetValue<bool>(out var tr) && tr,
            NotSent = details?["sent"] is JsonValue sv && sv.TryGetValue<bool>(out var sent) && !sent,
        };
    }

    /// <summary><c>resh: error[code]: message</c> and <c>resh: hint: ...</c>, the error lines of --format raw.</summary>
    public static ReshError? FromRawErrorLines(string stderr, Func<string?, string?>? rewrite = null)
    {
        ReshError? error = null;
        string? hint = null;
        foreach (var line in stderr.Split('\n'))
        {
            if (line.StartsWith("resh: error[", StringComparison.Ordinal))
            {
                var close = line.IndexOf("]: ", StringComparison.Ordinal);
                if (close < 0) continue;
                var code = ErrorCodes.TryParse(line[12..close], out var c) ? c : ErrorCode.Failed;
                error = new ReshError(code, line[(close + 3)..]);
            }
            else if (line.StartsWith("resh: hint: ", StringComparison.Ordinal)) hint = line[12..];
        }
        return error is null ? null : error with { Hint = rewrite is null ? hint : rewrite(hint) };
    }

    /// <summary>
    /// The envelope with warnings made on this side added (a literal secret argument, an inventory password):
    /// the remote host never saw those, but the caller must.
    /// </summary>
    public static Envelope WithLocalWarnings(Envelope e, IReadOnlyList<string> local)
    {
        if (local.Count == 0) return e;
        return new Envelope
        {
            Ok = e.Ok, Handle = e.Handle, Verb = e.Verb, Target = e.Target, Host = e.Host, Changed = e.Changed, DryRun = e.DryRun,
            Result = e.Result, ResultType = e.ResultType, ResultTypeFactory = e.ResultTypeFactory, ResultDeclaredType = e.ResultDeclaredType,
            ResultNode = e.ResultNode, Error = e.Error, Warnings = [.. local.Where(w => !e.Warnings.Contains(w)), .. e.Warnings],
            DurationMs = e.DurationMs, Timestamp = e.Timestamp, Id = e.Id, HasId = e.HasId, Raw = e.Raw, Human = e.Human, Mutating = e.Mutating, Revealed = e.Revealed,
        };
    }

    static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
