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
        // A call about a secret key (config set key=db.password value=..., cache set key=api_token ...) keeps only the key.
        var aboutSecret = args.Given.Any(kv => kv.Key.Name is "key" or "keys" or "name"
            && (kv.Value is string s && SecretKeys.LooksSecret(s) || kv.Value is IReadOnlyList<string> l && l.Any(SecretKeys.LooksSecret)));
        foreach (var (arg, value) in args.Given)
        {
            JsonNode? node;
            try { node = Describe(arg, value); }
            catch (Exception) { node = "(not recordable)"; }
            if (node is not null && SecretKeys.LooksSecret(arg.Name)) node = SecretRedactor.Mask;
            else if (aboutSecret && arg.Name is not ("key" or "keys" or "name") && node is not null && !IsFlag(node)) node = SecretRedactor.Mask;
            else node = Scrub(MaskMembers(node));
            json[arg.Name] = node;
        }
        return json;
    }

    /// <summary>An HTTP header (Name: value) that carries credentials.</summary>
    static bool IsSecretHeader(string name) => name.Length is > 0 and < 100 && !name.Contains(' ')
        && (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)
            || name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) || name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase)
            || SecretKeys.LooksSecret(name));

    /// <summary>
    /// Secrets resolved during this call that appear inside an argument are masked there, and only there: the verb,
    /// target and outcome of the record are never rewritten (a caller must not blank out its own record by resolving
    /// "delete" as a secret).
    /// </summary>
    static JsonNode? Scrub(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var text) => SecretRedactor.Scrub(text) is var s && !ReferenceEquals(s, text) && s != text ? JsonValue.Create(s) : v,
        JsonObject o => Rebuild(o),
        JsonArray a => new JsonArray(a.Select(x => Scrub(x?.DeepClone())).ToArray()),
        _ => node,
    };

    static JsonObject Rebuild(JsonObject o)
    {
        var copy = new JsonObject();
        foreach (var (k, v) in o) copy[k] = Scrub(v?.DeepClone());
        return copy;
    }

    static bool IsFlag(JsonNode node) => node is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False;

    /// <summary>Values under secret-looking names inside JSON arguments (a merge patch, a record), NAME=VALUE list entries and credentials inside values (URL passwords, Password= fields).</summary>
    static JsonNode? MaskMembers(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var name in o.Select(p => p.Key).ToList())
                    o[name] = SecretKeys.LooksSecret(name) && o[name] is not null ? SecretRedactor.Mask : MaskMembers(o[name]?.DeepClone());
                return o;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++) a[i] = MaskMembers(a[i]?.DeepClone());
                return a;
            case JsonValue v when v.TryGetValue<string>(out var text) && text.IndexOf('=') is > 0 and var eq && SecretKeys.LooksSecret(text[..eq].Trim()):
                return text[..(eq + 1)] + SecretRedactor.Mask;
            case JsonValue v when v.TryGetValue<string>(out var header) && header.IndexOf(':') is > 0 and var colon && IsSecretHeader(header[..colon].Trim()):
                return header[..(colon + 1)] + " " + SecretRedactor.Mask;
            case JsonValue v when v.TryGetValue<string>(out var value) && CredentialText.Mask(value) is var masked && !ReferenceEquals(masked, value):
                return masked; // a URL's password, a connection string's Password= (value=postgres://app:***@db/app)
            default:
                return node;
        }
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
