using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Introspection;
using Resh.Core.Model;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// One MCP tool: a verb of a registered handle, with everything tools/list says about it derived from the
/// declaration (name, schemas, description, annotations). Built on first listing, never at start-up.
/// </summary>
public sealed class McpTool(HandleInfo handle, VerbInfo verb)
{
    public HandleInfo Handle { get; } = handle;
    public VerbInfo Verb { get; } = verb;
    public string Name { get; } = NameOf(handle.Scheme, verb.Name);

    /// <summary>The extra arguments every tool has besides the verb's own.</summary>
    public const string TargetArg = "target", HostArg = "host", DryRunArg = "dry_run";

    /// <summary>
    /// The bounds a caller sets on a streaming verb (a follow has no end of its own; s41 D10): `timeout` and `max_events`,
    /// each offered unless the verb declares an argument of that name.
    /// </summary>
    public const string TimeoutArg = "timeout", MaxEventsArg = "max_events";

    public bool TakesTimeout => Verb.Streams && Verb.FindArg(TimeoutArg) is null;
    public bool TakesMaxEvents => Verb.Streams && Verb.FindArg(MaxEventsArg) is null;

    /// <summary>Handles whose verbs reach other machines (MCP's openWorldHint); every other handle works on this host.</summary>
    static readonly string[] OpenWorldSchemes = ["cache", "cert", "dns", "http", "https", "mail", "net", "pkg", "ssh"];

    /// <summary>`file` + `lines.ensure` → `file_lines_ensure`: MCP tool names allow [A-Za-z0-9_-.], and clients handle `_` best.</summary>
    public static string NameOf(string scheme, string verb)
    {
        var sb = new StringBuilder(scheme.Length + verb.Length + 1);
        foreach (var c in scheme + "_" + verb) sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        return sb.ToString();
    }

    /// <summary>The ssh:// host option, unless the verb declares an argument of that name (or is ssh:// itself).</summary>
    public bool TakesHost => Handle.Scheme != "ssh" && Verb.FindArg(HostArg) is null;

    public bool Mutating => Verb.Effect != Effect.Read;

    /// <summary>Whether a call must name a target: the handle or verb help does not describe an empty target as meaningful.</summary>
    public bool TargetRequired => !TargetOptional(Verb.TargetHelp ?? Handle.TargetHelp);

    static bool TargetOptional(string help) =>
        help.Contains("empty", StringComparison.OrdinalIgnoreCase) || help.Contains("none", StringComparison.OrdinalIgnoreCase)
        || help.Contains("default", StringComparison.OrdinalIgnoreCase) || help.Contains("optional", StringComparison.OrdinalIgnoreCase);

    public JsonObject ToJson()
    {
        var input = SchemaBuilder.ArgsSchema(Verb);
        input.Remove("$schema"); // MCP 2025-11-25: a schema without $schema is draft 2020-12; older clients reject unknown dialects
        input.Remove("title");
        var props = (JsonObject)input["properties"]!;
        var required = (JsonArray)input["required"]!;
        var targetHelp = Verb.TargetHelp ?? Handle.TargetHelp;
        props.Insert(0, TargetArg, new JsonObject
        {
            ["type"] = "string",
            ["description"] = $"The resource: a {Handle.Scheme}:// URI (the part after {Handle.Scheme}:// alone is accepted too). {targetHelp}",
        });
        if (TargetRequired) required.Insert(0, (JsonNode)TargetArg);
        if (TakesHost)
            props.Insert(1, HostArg, new JsonObject
            {
                ["type"] = "string",
                ["description"] = "Run it on this host through ssh:// ([user@]host[:port] or an ssh profile name) instead of locally.",
            });
        if (TakesTimeout)
            props[TimeoutArg] = new JsonObject
            {
                ["type"] = "string",
                ["description"] = "End the call after this long (30s, 5m, 1h), with what it streamed so far: this verb has no end of its own. "
                    + "At most the server's --timeout when it has one.",
            };
        if (TakesMaxEvents)
            props[MaxEventsArg] = new JsonObject
            {
                ["type"] = "integer",
                ["minimum"] = 1,
                ["description"] = "End the call after this many events (lines, messages), as its timeout would.",
            };
        if (Mutating)
            props[DryRunArg] = new JsonObject
            {
                ["type"] = "boolean",
                ["default"] = false,
                ["description"] = "Change nothing; report what would change (the envelope's changed, and a diff where one makes sense).",
            };

        var output = SchemaBuilder.EnvelopeSchema(Verb);
        output.Remove("$schema");
        var description = new StringBuilder(Verb.Summary);
        if (Verb.Notes is { } notes) description.Append("\n\n").Append(notes);
        description.Append("\n\nTarget: ").Append(targetHelp);
        description.Append("\n\nAnswers with resh's JSON envelope (ok, result, error with code and hint).");
        var readOnly = Verb.Effect == Effect.Read;
        return new JsonObject
        {
            ["name"] = Name,
            ["title"] = Verb.FullName,
            ["description"] = description.ToString(),
            ["inputSchema"] = input,
            ["outputSchema"] = output,
            ["annotations"] = new JsonObject
            {
                ["title"] = Verb.FullName,
                ["readOnlyHint"] = readOnly,
                ["destructiveHint"] = McpDestructive.Is(Verb),
                // resh declares no idempotency; a read repeats harmlessly, a change is not promised to.
                ["idempotentHint"] = readOnly,
                ["openWorldHint"] = Array.IndexOf(OpenWorldSchemes, Handle.Scheme) >= 0,
            },
        };
    }
}
