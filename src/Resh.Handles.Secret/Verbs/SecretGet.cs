using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Secret.Verbs;

public static class SecretGet
{
    static readonly Arg<bool> Reveal = Arg.Bool("reveal", "Show the value; without it the value is \"***\".", role: ArgRole.Reveal);

    public static readonly VerbInfo Verb = VerbInfo.Define("get", Effect.Read,
        "A secret's metadata, and its value with reveal=true (--format raw prints the bare value for scripts).",
        [Reveal, SecretArgs.Version, .. SecretArgs.BackendArgs], () => SecretJson.Default.SecretGetResult, Run,
        examples:
        [
            new("secret://db/app.get", "Metadata; the value shows as \"***\"."),
            new("secret://db/app.get reveal=true --format raw", "The bare value, for $(...) in a script."),
            new("secret://db/app.get version=1 reveal=true", "An older version."),
            new("secret://DB_PASSWORD.get backend=env", "From the environment backend."),
        ],
        notes: "--format raw without reveal=true is refused rather than printing \"***\" where a script expects the value. A value that is not UTF-8 text is shown as base64 (encoding: base64); raw output prints its bytes.");

    static Outcome<SecretGetResult> Run(VerbContext ctx)
    {
        var name = SecretArgs.Name(ctx);
        var reveal = ctx.Get(Reveal);
        if (ctx.WantsRaw && !reveal)
            return ReshError.Usage("--format raw prints the bare value only with reveal=true.", $"resh secret://{name}.get reveal=true --format raw");
        var backend = SecretArgs.BackendFor(ctx);
        var version = ctx.Get(SecretArgs.Version) is { } v ? (int)v : (int?)null;
        var read = backend.Read(name, version, ctx.Cancellation);
        if (read is null)
        {
            if (version is not null && backend.Describe(name) is not null)
                return ReshError.NotFound($"{name} has no version {version}.", $"List its versions: resh secret://{name}.versions");
            throw KeystoreChange.NotFound(name, backend.Name);
        }
        var (value, actualVersion) = read.Value;
        var meta = backend.Describe(name);
        var text = value.IsText;
        string shown = SecretRedactor.Mask;
        if (reveal) shown = text ? ctx.Reveal(value) : Convert.ToBase64String(value.RevealBytes());
        var result = new SecretGetResult(name, backend.Name, actualVersion, shown, reveal, text ? "text" : "base64", value.Length,
            meta?.Created, meta?.Updated, meta?.Tags ?? new Dictionary<string, string>());
        return reveal ? new Outcome<SecretGetResult>(result, false).WithRaw(RawPayload.FromBytes(value.RevealBytes().ToArray())) : result;
    }
}
