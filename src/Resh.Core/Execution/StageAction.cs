using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Grammar;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Registry;

namespace Resh.Core.Execution;

/// <summary>
/// A resh stage that something else triggers (an event rule, a webhook route): the stage text as an operator wrote it
/// (<c>snapshot://.prune</c>, <c>file:///srv/deploy.write(mode=0644)</c>) and a JSON object of argument templates whose
/// string values may hold <c>{{path}}</c> placeholders, filled from a JSON document (the event, the request).
/// A placeholder that is the whole value takes the document's value with its JSON type; one inside text takes its text.
/// Placeholders are allowed only in argument values, never in the stage text, and never in arguments that name more
/// targets, files or directories (declared paths), secret sources or reveal: whoever writes the document chooses values, not what is acted on or which secret is read.
/// The stage runs in-process through <see cref="NestedCall"/>, so the callee's own declaration validates the values.
/// </summary>
public sealed class StageAction
{
    public string Stage { get; }
    public JsonObject Args { get; }
    /// <summary>The verb the stage resolves to (its full name), for listings.</summary>
    public string VerbName { get; }

    StageAction(string stage, JsonObject args, string verbName) { Stage = stage; Args = args; VerbName = verbName; }

    /// <summary>Checks an action when it is declared, so a typo is refused then and not at the first event.</summary>
    public static StageAction Create(HandleRegistry registry, string stage, JsonObject? args)
    {
        stage = stage.Trim();
        if (stage.Contains("{{", StringComparison.Ordinal))
            throw ReshError.Usage("A placeholder `{{...}}` may not appear in the action's stage: the document would choose what is acted on.",
                "Put fixed values in the stage and templates only in args, e.g. args:={\"version\":\"{{data.version}}\"}.").ToException();
        var syntax = StageParser.Parse(stage);
        var handle = registry.Find(syntax.Scheme)
            ?? throw ReshError.Usage($"The action's stage names `{syntax.Scheme}://`, which is not a handle of this build.",
                "List handles with: resh handles").ToException();
        var verb = VerbResolver.Resolve(handle, syntax.Body, null).Verb;
        var template = args is null ? new JsonObject() : (JsonObject)args.DeepClone();
        foreach (var (key, value) in template)
        {
            var arg = verb.Args.FirstOrDefault(a => a.Matches(key.Replace('-', '_')))
                ?? throw ReshError.Usage($"`{key}` is not an argument of {verb.FullName}.",
                    $"Its arguments: {string.Join(", ", verb.Args.Select(a => a.Name))}.").ToException();
            var placeholders = Placeholders(value).ToList();
            if (placeholders.Count == 0) continue;
            // s32 attacker #1: a path argument (file.copy to=, mail.send attach=, http output=) is as much what is acted on as the target.
            if (arg.Secret || arg.Role is ArgRole.SecretSources or ArgRole.Target or ArgRole.Reveal || arg.Path is not (PathUse.None or PathUse.ReadAt))
                throw ReshError.Usage($"The argument `{key}` of {verb.FullName} may not take a placeholder: it names {(arg.Role == ArgRole.Target ? "more targets" : arg.Role == ArgRole.Reveal ? "whether secrets show" : arg.Path is not (PathUse.None or PathUse.ReadAt) ? "a file or directory" : "a secret")}.",
                    "Give it a fixed value in the action; templates fill only plain values.").ToException();
            foreach (var p in placeholders) CheckPath(p);
        }
        return new StageAction(stage, template, verb.FullName);
    }

    /// <summary>The arguments with every placeholder filled from <paramref name="document"/>; a missing field is a usage error naming it.</summary>
    public JsonObject Render(JsonNode? document)
    {
        var result = new JsonObject();
        foreach (var (key, value) in Args) result[key] = RenderNode(value, document);
        return result;
    }

    /// <summary>Runs the stage with the rendered arguments, as the caller (its dry-run flag, cancellation and time left).</summary>
    public async Task<Envelope> RunAsync(VerbContext caller, JsonNode? document, CancellationToken? cancellation = null)
    {
        var args = Render(document);
        return await NestedCall.RunAsync(caller, Stage, null, args, cancellation).ConfigureAwait(false);
    }

    public JsonObject ToJson() => new() { ["stage"] = Stage, ["args"] = Args.DeepClone() };

    /// <summary>Reads back <see cref="ToJson"/>, checked again against this build's handles.</summary>
    public static StageAction FromJson(HandleRegistry registry, JsonObject json) =>
        Create(registry, json["stage"]?.GetValue<string>() ?? throw ReshError.Usage("An action has no stage.", "Each action needs stage = \"scheme://target.verb\".").ToException(),
            json["args"] as JsonObject);

    static JsonNode? RenderNode(JsonNode? node, JsonNode? document) => node switch
    {
        JsonObject o => new JsonObject(o.Select(kv => KeyValuePair.Create(kv.Key, RenderNode(kv.Value, document)))),
        JsonArray a => new JsonArray(a.Select(x => RenderNode(x, document)).ToArray()),
        JsonValue v when v.TryGetValue<string>(out var s) => RenderText(s, document),
        _ => node?.DeepClone(),
    };

    static JsonNode? RenderText(string text, JsonNode? document)
    {
        var spans = Scan(text).ToList();
        if (spans.Count == 0) return JsonValue.Create(text);
        if (spans.Count == 1 && spans[0].Start == 0 && spans[0].End == text.Length)
            return Lookup(document, spans[0].Path)?.DeepClone();
        var sb = new StringBuilder();
        int at = 0;
        foreach (var s in spans)
        {
            sb.Append(text, at, s.Start - at);
            sb.Append(AsText(Lookup(document, s.Path)));
            at = s.End;
        }
        sb.Append(text, at, text.Length - at);
        return JsonValue.Create(sb.ToString());
    }

    static string AsText(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => value.ToJsonString(),
    };

    /// <summary>The value at a dotted path (<c>data.items.0.name</c>); a missing field is an error, not an empty value.</summary>
    static JsonNode? Lookup(JsonNode? document, string path)
    {
        var node = document;
        foreach (var part in path.Split('.'))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(part, out var child) => child,
                JsonArray a when int.TryParse(part, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw ReshError.Usage($"The document has no field `{path}` for the action's placeholder.",
                    "Check the field names of the event or payload, or give the argument a fixed value.", new JsonObject { ["field"] = path }).ToException(),
            };
        }
        return node;
    }

    readonly record struct Span(int Start, int End, string Path);

    static IEnumerable<Span> Scan(string text)
    {
        int i = 0;
        while ((i = text.IndexOf("{{", i, StringComparison.Ordinal)) >= 0)
        {
            var end = text.IndexOf("}}", i + 2, StringComparison.Ordinal);
            if (end < 0) yield break;
            yield return new Span(i, end + 2, text[(i + 2)..end].Trim());
            i = end + 2;
        }
    }

    static IEnumerable<string> Placeholders(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(kv => Placeholders(kv.Value)),
        JsonArray a => a.SelectMany(Placeholders),
        JsonValue v when v.TryGetValue<string>(out var s) => Scan(s).Select(x => x.Path),
        _ => [],
    };

    static void CheckPath(string path)
    {
        if (path.Length == 0 || path.Split('.').Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
            throw ReshError.Usage($"`{{{{{path}}}}}` is not a placeholder resh can fill.",
                "A placeholder is a dotted path into the document: {{data.version}}, {{headers.x-github-event}}, {{items.0}}.").ToException();
    }
}
