using System.Text.Json.Nodes;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Core.Audit;

/// <summary>
/// A call's arguments as the audit trail keeps them: secret-typed values are <c>***</c>, environment lists keep
/// their names only, file content is its size (it may hold anything), and every resolved secret is masked again
/// when the line is written (<see cref="SecretRedactor"/>).
/// </summary>
public static class AuditArgs
{
    public static JsonObject From(BoundArgs? args)
    {
        var json = new JsonObject();
        if (args is null) return json;
        foreach (var (arg, value) in args.Given)
        {
            try { json[arg.Name] = Describe(arg, value); }
            catch (Exception) { json[arg.Name] = "(not recordable)"; }
        }
        return json;
    }

    static JsonNode? Describe(ArgInfo arg, object? value) => value switch
    {
        null => null,
        _ when arg.Kind == ArgKind.Secret || value is SecretRef or SecretValue => SecretRedactor.Mask,
        ContentSource content => content.Length is { } length ? new JsonObject { ["bytes"] = length } : new JsonObject { ["origin"] = content.Origin },
        byte[] bytes => new JsonObject { ["bytes"] = bytes.Length },
        IReadOnlyList<string> list when arg.Name is "env" or "secret_env" =>
            new JsonArray(list.Select(e => (JsonNode?)JsonValue.Create(NameOnly(e))).ToArray()),
        _ => ArgsForwarding.ToJson(arg, value, "the audit trail"),
    };

    static string NameOnly(string entry)
    {
        var eq = entry.IndexOf('=');
        return eq < 0 ? entry : entry[..(eq + 1)] + SecretRedactor.Mask;
    }
}
