using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Core.Tests;

public sealed record SecretUseResult(string Source, int Length, string Echo, string? Revealed, string? ConfigEcho);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SecretUseResult))]
internal sealed partial class SecretTestJson : JsonSerializerContext;

/// <summary>
/// `s://` verbs that misbehave on purpose with a secret: they put it in the result, an error, a warning,
/// an event and the verbose log, so tests prove the output paths mask it anyway.
/// </summary>
public static class SecretTestHandle
{
    public static readonly Arg<SecretRef?> Password = Arg.Secret("password", "the secret", required: true);
    public static readonly Arg<SecretRef?> Other = Arg.Secret("other", "another secret");
    public static readonly Arg<string?> Leak = Arg.Enum("leak", "where to leak it", ["result", "error", "warning", "event", "log", "reveal", "config"], "result");

    static Outcome<SecretUseResult> Use(VerbContext ctx)
    {
        var secret = ctx.GetSecret(Password)!;
        var text = secret.Reveal();
        string? revealed = null, config = null;
        switch (ctx.Get(Leak))
        {
            case "error": return ReshError.Failed($"The backend refused password {text}.", $"Try another than {text}.", new JsonObject { ["sent"] = text });
            case "warning": ctx.Warn($"warning about {text}"); break;
            case "event": ctx.Events.Emit("line", new JsonObject { ["line"] = $"event {text}" }); break;
            case "log": ctx.Runtime.Log($"log line with {text}"); break;
            case "reveal":
                revealed = ctx.Reveal(secret);
                if (ctx.GetSecret(Other) is { } other) config = other.Reveal();
                break;
            case "config":
                var table = ctx.Runtime.Config.Section("t.prod");
                config = ctx.GetConfigSecret(table, "password", "t.prod")?.Reveal();
                break;
        }
        return new SecretUseResult(ctx.Get(Password)!.ToString(), secret.Length, $"echo {text} {secret}", revealed, config);
    }

    public static HandleInfo Handle() => new("s", "secret test handle", "anything",
    [
        VerbInfo.Define("use", Effect.Read, "use a secret", [Password, Other, Leak], () => SecretTestJson.Default.SecretUseResult, Use),
    ]);
}
