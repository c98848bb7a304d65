using System.Text.Json.Serialization;
using Resh.Core.Execution;
using Resh.Core.Meta;
using Resh.Core.Model;
using Resh.Core.Registry;

namespace Resh.Core.Tests;

public sealed record EchoResult(string Target, string Verb, Dictionary<string, string?> Args);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(EchoResult))]
internal sealed partial class TestJson : JsonSerializerContext;

/// <summary>
/// A test handle `t://` whose verbs echo what the parser bound, so grammar tests assert on the exact
/// target, verb and typed arguments without touching a real backend.
/// </summary>
public static class TestHandles
{
    public static readonly Arg<string?> Name = Arg.String("name", "a string");
    public static readonly Arg<long?> Count = Arg.Int("count", "an integer", min: 0, max: 1000);
    public static readonly Arg<bool> Force = Arg.Bool("force", "a bool");
    public static readonly Arg<TimeSpan?> Wait = Arg.Duration("wait", "a duration");
    public static readonly Arg<long?> Max = Arg.Size("max", "a size");
    public static readonly Arg<string?> Mode = Arg.Enum("mode", "an enum", ["fast", "slow"], "fast");
    public static readonly Arg<IReadOnlyList<string>> Tags = Arg.List("tags", "a list");
    public static readonly Arg<System.Text.Json.Nodes.JsonNode?> Data = Arg.Json("data", "json");
    public static readonly Arg<byte[]?> Content = Arg.Bytes("content", "bytes");
    public static readonly Arg<string?> Schedule = Arg.String("schedule", "literal @", literalAt: true);
    public static readonly Arg<string?> Sql = Arg.String("sql", "sql text");
    public static readonly Arg<string?> Needed = Arg.String("needed", "required", required: true);
    public static readonly Arg<IReadOnlyList<string>> Words = Arg.List("words", "positional", positional: true);
    public static readonly Arg<IReadOnlyList<string>> Argv = Arg.Command("argv", "a command", positional: true, aliases: ["command"]);
    public static readonly Arg<string?> Expression = Arg.String("expression", "cron expression");
    public static readonly Arg<Resh.Core.Secrets.SecretRef?> Secret = Arg.Secret("password", "a secret");

    static Outcome<EchoResult> Echo(VerbContext ctx)
    {
        var args = new Dictionary<string, string?>();
        foreach (var (arg, value) in ctx.Args.Given)
        {
            args[arg.Name] = value switch
            {
                null => null,
                byte[] b => "bytes:" + System.Text.Encoding.UTF8.GetString(b),
                IReadOnlyList<string> l => "[" + string.Join("|", l) + "]",
                TimeSpan t => "ms:" + t.TotalMilliseconds,
                System.Text.Json.Nodes.JsonNode n => "json:" + n.ToJsonString(),
                bool bo => bo ? "true" : "false",
                _ => value.ToString(),
            };
        }
        return new EchoResult(ctx.Target, ctx.Verb.Name, args);
    }

    static VerbInfo V(string name, params ArgInfo[] args) => VerbInfo.Define(name, Effect.Read, $"verb {name}", args, TestJson.Default.EchoResult, Echo);

    public static HandleInfo Handle() => new("t", "test handle", "anything",
    [
        V("read", Name, Count, Force, Wait, Max, Mode, Tags, Data, Content, Schedule, Sql, Expression, Secret),
        V("get", Name),
        V("ea.get", Name),
        V("lines.ensure", Name),
        V("ensure", Name),
        V("need", Needed),
        V("run", Words, Force),
        V("exec", Argv),
        V("gz", Name),
    ]);

    public static HandleRegistry Registry()
    {
        var r = new HandleRegistry();
        r.Add(Handle());
        r.Add(SecretTestHandle.Handle());
        r.Add(MetaHandle.Create(r, new BuildInfo("0.0.0-test", "test")));
        return r;
    }
}
