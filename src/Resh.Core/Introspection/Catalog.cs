using System.ComponentModel;
using System.Text.Json.Nodes;
using Resh.Core.Model;
using Resh.Core.Registry;

namespace Resh.Core.Introspection;

[Description("One argument of a verb, as declared.")]
public sealed record ArgDoc(
    string Name,
    [property: Description("string, integer, bool, duration, size, enum, list, json, bytes or secret")] string Type,
    bool Required,
    JsonNode? Default,
    string Description,
    IReadOnlyList<string>? Choices,
    IReadOnlyList<string> Examples,
    IReadOnlyList<string> Aliases,
    bool Positional,
    bool Secret);

public sealed record ExampleDoc(string Command, string Description);

[Description("A verb: its effect, arguments, result schema and examples.")]
public sealed record VerbDoc(
    string Name,
    string Handle,
    [property: Description("read, mutate or destroy")] string Effect,
    string Summary,
    string? Notes,
    bool Streams,
    string Target,
    IReadOnlyList<ArgDoc> Args,
    IReadOnlyList<ExampleDoc> Examples,
    JsonObject ArgsSchema,
    JsonObject ResultSchema);

public sealed record HandleDoc(string Scheme, string Summary, string Target, string? Notes, IReadOnlyList<VerbDoc> Verbs);

public sealed record HandleSummary(string Scheme, string Summary, int Verbs);

public sealed record FlagDoc(string Name, string? Value, string? Short, string Description);

public sealed record CommandDoc(string Name, string Summary, IReadOnlyList<ArgDoc> Args);

/// <summary>Builds the documentation model of handles and verbs from their declarations.</summary>
public static class Catalog
{
    public static ArgDoc Arg(ArgInfo a) => new(a.Name, a.Kind.ToWire(), a.Required, a.DefaultJson?.DeepClone(), a.Description,
        a.Choices, a.Examples, a.Aliases, a.Positional, a.Secret);

    public static VerbDoc Verb(HandleInfo h, VerbInfo v) => new(v.Name, h.Scheme, v.Effect.ToWire(), v.Summary, v.Notes, v.Streams,
        v.TargetHelp ?? h.TargetHelp, v.Args.Select(Arg).ToArray(), v.Examples.Select(e => new ExampleDoc(e.Command, e.Description)).ToArray(),
        SchemaBuilder.ArgsSchema(v), SchemaBuilder.ResultSchema(v));

    public static HandleDoc Handle(HandleInfo h) => new(h.Scheme, h.Summary, h.TargetHelp, h.Notes, h.Verbs.Select(v => Verb(h, v)).ToArray());

    public static IReadOnlyList<HandleSummary> Handles(HandleRegistry r) => r.Visible.Select(h => new HandleSummary(h.Scheme, h.Summary, h.Verbs.Count)).ToArray();

    public static IReadOnlyList<FlagDoc> Flags() => Cli.GlobalFlags.All.Select(f => new FlagDoc(f.Name, f.ValueName, f.Short, f.Description)).ToArray();

    public static IReadOnlyList<CommandDoc> Commands(HandleRegistry r) =>
        (r.Meta?.Verbs ?? []).Where(v => !v.Name.StartsWith('_') && v.Name != "complete")
            .Select(v => new CommandDoc(v.Name, v.Summary, v.Args.Select(Arg).ToArray())).ToArray();
}
