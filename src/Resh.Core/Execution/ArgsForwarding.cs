using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Model;
using Resh.Core.Secrets;
using Resh.Core.Values;

namespace Resh.Core.Execution;

/// <summary>
/// Hands a bound call's arguments to another resh process (a remote host's, or this one run again as
/// another user): as one JSON object on its stdin (<c>--args -</c>), never on its command line, where
/// other users could read them in ps. A binary byte argument (file content from @file or @-) goes raw on
/// stdin instead (<c>name=@-</c>), with the other arguments as JSON on the command line.
/// </summary>
public static class ArgsForwarding
{
    /// <param name="where">Names the other process in errors ("a remote host", "the become user's resh").</param>
    /// <param name="resolveSecret">Resolves a secret-typed argument where its source is (the value then travels on stdin only).</param>
    public static (List<string> Argv, byte[]? Stdin) Encode(BoundArgs args, VerbInfo verb, Func<ArgInfo, bool> skip, string where,
        Func<Arg<SecretRef?>, SecretValue?> resolveSecret, Func<SecretRef, string, SecretValue>? resolveSource = null)
    {
        var argv = new List<string>();
        var json = new JsonObject();
        (ArgInfo Arg, byte[] Bytes)? binary = null;
        foreach (var (arg, given) in args.Given)
        {
            if (skip(arg)) continue;
            var value = given is ContentSource content ? content.ReadAll() : given; // streamed content goes whole to the other process
            if (arg.Kind == ArgKind.Bytes && value is byte[] bytes && !System.Text.Unicode.Utf8.IsValid(bytes))
            {
                if (binary is not null)
                    throw ReshError.Unsupported($"Two binary arguments ({binary.Value.Arg.Name}, {arg.Name}) cannot both reach {where}.", "Pass one of them as text, or copy the file first.").ToException();
                binary = (arg, bytes);
                continue;
            }
            json[arg.Name] = value is SecretRef && arg is Arg<SecretRef?> secretArg
                ? JsonValue.Create(resolveSecret(secretArg)!.Reveal())
                : arg.Name == SecretEnvName && value is IReadOnlyList<string> entries && resolveSource is not null
                    ? new JsonArray(entries.Select(e => (JsonNode?)JsonValue.Create(ResolveEntry(e, resolveSource))).ToArray())
                    : ToJson(arg, value, where);
        }
        if (binary is null)
        {
            if (json.Count == 0) return (argv, null);
            argv.Add("--args");
            argv.Add("-");
            return (argv, Encoding.UTF8.GetBytes(json.ToJsonString()));
        }
        if (verb.Args.Any(a => a.Kind == ArgKind.Secret && json.ContainsKey(a.Name)))
            throw ReshError.Unsupported($"A binary argument and a secret argument cannot both reach {where}: the secret would have to go on a command line.",
                "Copy the file first and pass its path.").ToException();
        // Environment lists may hold secrets (secret_env always; env values whose names look secret): with the
        // binary on stdin they would have to go on the command line (ps, --verbose), so they are refused too.
        if (json.ContainsKey(SecretEnvName) || json.ContainsKey("env"))
            throw ReshError.Unsupported($"A binary argument and env/secret_env cannot both reach {where}: the environment would have to go on a command line.",
                "Copy the file first and pass its path.").ToException();
        argv.Add($"{binary.Value.Arg.Name}=@-");
        if (json.Count > 0)
        {
            argv.Add("--args");
            argv.Add(json.ToJsonString());
        }
        return (argv, binary.Value.Bytes);
    }

    const string SecretEnvName = "secret_env";

    /// <summary>
    /// A secret_env entry NAME=SOURCE resolved here (env:, file:, secret: name this machine's variables, files and
    /// store, not the other side's) and sent in its forwarded form; a literal stays as written.
    /// </summary>
    static string ResolveEntry(string entry, Func<SecretRef, string, SecretValue> resolveSource)
    {
        var eq = entry.IndexOf('=');
        if (eq <= 0) return entry; // the other side reports the usage error
        SecretRef source;
        try { source = SecretRef.Parse(entry[(eq + 1)..], warnLiteral: false); }
        catch (FormatException) { return entry; }
        if (source.Kind == SecretSourceKind.Literal) return entry;
        return entry[..(eq + 1)] + SecretRef.Forwarded(resolveSource(source, $"{SecretEnvName} {entry[..eq]}"));
    }

    /// <summary>A bound argument value back as the JSON its declaration reads.</summary>
    public static JsonNode? ToJson(ArgInfo arg, object? value, string where) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        TimeSpan t => JsonValue.Create(t.Ticks % TimeSpan.TicksPerMillisecond == 0 ? DurationValue.Format(t) : $"{t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms"),
        IReadOnlyList<string> list => new JsonArray(list.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
        JsonNode node => node.DeepClone(),
        byte[] bytes => JsonValue.Create(Encoding.UTF8.GetString(bytes)),
        _ => throw ReshError.Unsupported($"Argument `{arg.Name}` cannot be sent to {where}.", null).ToException(),
    };
}
