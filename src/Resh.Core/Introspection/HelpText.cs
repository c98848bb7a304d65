using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Model;

namespace Resh.Core.Introspection;

/// <summary>Help for people, rendered from the same documentation model that `--format json` prints.</summary>
public static class HelpText
{
    public static string Overview(IReadOnlyList<HandleSummary> handles, IReadOnlyList<CommandDoc> commands, IReadOnlyList<FlagDoc> flags)
    {
        var sb = new StringBuilder();
        sb.AppendLine("resh — every resource is a URI, every operation a verb, every answer one JSON envelope.");
        sb.AppendLine();
        sb.AppendLine("Usage:");
        sb.AppendLine("  resh [FLAGS] SCHEME://TARGET.VERB(key=value,...)");
        sb.AppendLine("  resh [FLAGS] SCHEME://TARGET VERB [key=value | key:=JSON | key=@file | --key value | --flag]...");
        sb.AppendLine("  resh COMMAND [ARGS]");
        sb.AppendLine();
        sb.AppendLine("Handles:");
        var w = handles.Count == 0 ? 0 : handles.Max(h => h.Scheme.Length + 3);
        foreach (var h in handles) sb.AppendLine($"  {(h.Scheme + "://").PadRight(w)}  {h.Summary}");
        sb.AppendLine();
        sb.AppendLine("Commands:");
        var cw = commands.Count == 0 ? 0 : commands.Max(c => c.Name.Length);
        foreach (var c in commands) sb.AppendLine($"  {c.Name.PadRight(cw)}  {c.Summary}");
        sb.AppendLine();
        sb.AppendLine("Flags:");
        var fl = flags.Select(f => (Spell: (f.Short is null ? "    " : $"-{f.Short}, ") + "--" + f.Name + (f.Value is null ? "" : " " + f.Value), f.Description)).ToList();
        var fw = fl.Max(f => f.Spell.Length);
        foreach (var (spell, desc) in fl) sb.AppendLine($"  {spell.PadRight(fw)}  {desc}");
        sb.AppendLine();
        sb.AppendLine("Exit status: 0 ok, 1 failed, 2 usage, 3 not_found, 4 permission_denied, 5 conflict,");
        sb.AppendLine("             6 timeout, 7 unavailable, 8 unsupported, 9 partial, 130 interrupted.");
        sb.AppendLine();
        sb.AppendLine("More: resh help HANDLE, resh help HANDLE.VERB, resh schema HANDLE.VERB");
        return sb.ToString();
    }

    public static string Handle(HandleDoc h)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{h.Scheme}:// — {h.Summary}");
        sb.AppendLine();
        sb.AppendLine($"Target: {h.Target}");
        if (h.Notes is not null) sb.AppendLine().AppendLine(h.Notes);
        sb.AppendLine();
        sb.AppendLine("Verbs:");
        var w = h.Verbs.Max(v => v.Name.Length);
        foreach (var v in h.Verbs)
            sb.AppendLine($"  {v.Name.PadRight(w)}  {(v.Effect == "read" ? "      " : v.Effect == "mutate" ? "[mut] " : "[del] ")}{v.Summary}");
        var examples = h.Verbs.SelectMany(v => v.Examples).Take(6).ToList();
        if (examples.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Examples:");
            foreach (var e in examples) sb.AppendLine($"  resh {e.Command}").AppendLine($"      {e.Description}");
        }
        sb.AppendLine();
        sb.AppendLine($"Details of one verb: resh help {h.Scheme}.VERB");
        return sb.ToString();
    }

    public static string Verb(VerbDoc v)
    {
        var sb = new StringBuilder();
        var builtin = v.Handle == Registry.HandleRegistry.MetaScheme; // a command: `resh audit verify`, not a stage
        sb.AppendLine(builtin ? $"resh {v.Name.Replace('.', ' ')} — {v.Summary}" : $"{v.Handle}.{v.Name} — {v.Summary}");
        sb.AppendLine();
        sb.AppendLine("Usage:");
        var positional = v.Args.FirstOrDefault(a => a.Positional);
        var tail = positional is null ? "" : $" [-- {positional.Name.ToUpperInvariant()}...]";
        // A command (resh serve) shows every flag: its usage line is the whole interface (s37 user #17); a verb its first three.
        var flags = string.Concat(v.Args.Where(a => !a.Positional).Take(builtin ? int.MaxValue : 3).Select(a => a.Type == "bool" ? $" [--{Flag(a.Name)}]" : $" [--{Flag(a.Name)} {a.Type.ToUpperInvariant()}]"));
        if (builtin)
            sb.AppendLine($"  resh {v.Name.Replace('.', ' ')}{flags}{(positional is null ? "" : $" [{positional.Name.ToUpperInvariant()}...]")}");
        else
        {
            sb.AppendLine($"  resh '{v.Handle}://TARGET.{v.Name}({string.Join(",", v.Args.Where(a => !a.Positional).Take(3).Select(a => $"{a.Name}=…"))})'");
            sb.AppendLine($"  resh {v.Handle}://TARGET {v.Name}{flags}{tail}");
        }
        sb.AppendLine();
        if (!builtin) sb.AppendLine($"Target: {v.Target}");
        sb.AppendLine($"Effect: {v.Effect}{(v.Effect == "read" ? "" : " (honours --dry-run)")}{(v.Streams ? "; streams NDJSON events" : "")}");
        if (v.Args.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Arguments:");
            var w = v.Args.Max(a => a.Name.Length + a.Type.Length + 3);
            foreach (var a in v.Args)
            {
                var head = $"{a.Name} <{a.Type}>";
                var extra = new List<string>();
                if (a.Required) extra.Add("required");
                if (a.Default is not null) extra.Add("default " + DefaultText(a.Default));
                if (a.Choices is { Count: > 0 } c) extra.Add("one of " + string.Join("|", c));
                if (a.Aliases.Count > 0) extra.Add("alias " + string.Join(", ", a.Aliases));
                sb.AppendLine($"  {head.PadRight(w)}  {a.Description}{(extra.Count > 0 ? " (" + string.Join("; ", extra) + ")" : "")}");
            }
            if (v.Args.Any(a => a.Type == "secret")) sb.AppendLine().AppendLine(SecretSources);
        }
        if (v.ResultSchema["properties"] is JsonObject props && props.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Result fields:");
            var w = props.Max(p => p.Key.Length);
            foreach (var (name, schema) in props)
            {
                var desc = (schema as JsonObject)?["description"]?.GetValue<string>() ?? "";
                sb.AppendLine($"  {name.PadRight(w)}  {TypeText(schema)}{(desc.Length > 0 ? " — " + desc : "")}");
            }
        }
        if (v.Notes is not null) sb.AppendLine().AppendLine(v.Notes);
        if (v.Examples.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Examples:");
            foreach (var e in v.Examples) sb.AppendLine($"  resh {e.Command}").AppendLine($"      {e.Description}");
        }
        return sb.ToString();
    }

    /// <summary>How every secret-typed argument is given (SPEC §9); help and docs print it under the argument table.</summary>
    public const string SecretSources =
        "A <secret> argument names where the secret comes from: secret:NAME (the secret:// store), env:VAR, " +
        "file:PATH (its first line), @- (stdin; a no-echo prompt on a terminal) or @PATH (the whole file). " +
        "A literal value works but adds a warning: other users can read it in /proc/PID/cmdline. " +
        "The value is shown as *** in every envelope, log and error.";

    static string Flag(string name) => name.Replace('_', '-');

    public static string DefaultText(JsonNode d) => d is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : d.ToJsonString();

    public static string TypeText(JsonNode? schema)
    {
        // A field of any JSON value (a JsonNode) has the schema `true`, not an object.
        var t = (schema as JsonObject)?["type"];
        var text = t switch
        {
            JsonValue v => v.GetValue<string>(),
            JsonArray a => string.Join("|", a.Select(x => x?.GetValue<string>())),
            _ => "any",
        };
        if (text.StartsWith("array", StringComparison.Ordinal) && (schema as JsonObject)?["items"] is JsonObject items && items["type"] is JsonNode it)
            text = $"array of {(it is JsonArray ia ? ia.FirstOrDefault(x => x?.GetValue<string>() != "null")?.GetValue<string>() : it.GetValue<string>())}";
        return text;
    }
}
