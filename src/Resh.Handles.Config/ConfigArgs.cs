using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Model;

namespace Resh.Handles.Config;

internal static class ConfigArgs
{
    public static readonly Arg<string?> Key = Arg.String("key", "Key path: dotted (server.tls.port, servers[0].name, a\\.b for a key holding a dot) or a JSON Pointer (/server/tls.port). Empty: the whole document.",
        examples: ["server.port", "/server/tls.port", "servers[0].name"]);

    public static readonly Arg<string?> RequiredKey = Arg.String("key", "Key path in a file (required there): dotted (server.tls.port, servers[0].name, a\\.b for a key holding a dot) or a JSON Pointer (/server/tls.port). A key-value store's key is in the target instead.",
        examples: ["server.port", "/server/tls.port", "servers[0].name"]);

    /// <summary>The key= a file edit needs (a key-value store's key is in its target instead).</summary>
    public static string FileKey(Resh.Core.Execution.VerbContext ctx, string verb) => ctx.Get(RequiredKey)
        ?? throw Resh.Core.Errors.ReshError.Usage($"{verb} on a file needs key=.", $"Example: resh config:///etc/app/config.yaml.{verb} key=server.port").ToException();

    public static readonly Arg<bool> Reveal = Arg.Bool("reveal", "Show the values of secret-looking keys (password, token, secret, api_key, private_key...) and the passwords inside URLs and connection strings; without it they are \"***\".", role: ArgRole.Reveal);

    /// <summary>
    /// A value typed the way the caller wrote it: <c>value:=8080</c> is JSON (a number here), <c>value=8080</c> is the
    /// string "8080", <c>value=@file</c> the file's text.
    /// </summary>
    public static readonly Arg<JsonNode?> Value = new()
    {
        Name = "value",
        Description = "The new value: value:=JSON is typed (value:=8080 a number, value:=true, value:='{\"a\":1}'), value=TEXT is a string (value=8080 is \"8080\").",
        Kind = ArgKind.Json,
        Required = true,
        Examples = ["8080", "'{\"host\": \"db\", \"port\": 5432}'"],
        Parser = (a, values) =>
        {
            var v = values[^1];
            if (v.IsJson) return v.Json?.DeepClone();
            if (v.Bytes is not null) return JsonValue.Create(Encoding.UTF8.GetString(v.Bytes));
            return JsonValue.Create(v.Text ?? "");
        },
    };
}
