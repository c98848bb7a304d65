using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Secrets;
using Resh.Core.Text;
using Resh.Handles.Svc.Systemd;

namespace Resh.Handles.Svc;

public static class SvcEditSet
{
    static readonly Arg<IReadOnlyList<string>> Set = Arg.List("set", "Settings as Key=value (repeat the argument for several).", examples: ["Restart=always", "Environment=DEBUG=1"]);
    static readonly Arg<JsonNode?> Properties = Arg.Json("properties", "Settings as a JSON object: {\"Restart\":\"always\",\"Environment\":[\"A=1\",\"B=2\"]}.");
    static readonly Arg<string?> Section = Arg.String("section", "The section to set them in.", "Service", examples: ["Service", "Unit"]);
    static readonly Arg<string?> File = Arg.String("file", "Drop-in file name in NAME.d/ (systemctl edit uses override.conf).", "override.conf");
    static readonly Arg<IReadOnlyList<string>> SecretEnvArg = Arg.List("secret_env",
        "Secret environment as NAME=SOURCE (secret:NAME, env:VAR, file:PATH; a literal works with a warning): written to a 0600 EnvironmentFile= the drop-in names, never to the drop-in.",
        examples: ["DB_PASSWORD=secret:db/app"], role: ArgRole.SecretSources);

    static readonly HashSet<string> ListSettings = new(StringComparer.Ordinal)
    {
        "ExecStart", "ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost", "ExecReload", "ExecCondition",
    };

    public static readonly VerbInfo Verb = VerbInfo.Define("edit.set", Effect.Mutate,
        "Set unit properties in a drop-in override (/etc/systemd/system/NAME.d/override.conf), then daemon-reload.",
        [Set, Properties, Section, File, SecretEnvArg, ServiceManagers.BackendArg], () => SvcJson.Default.SvcFileResult, RunAsync,
        examples:
        [
            new("'svc://nginx.edit.set(set=Restart=always)'", "Always restart nginx."),
            new("'svc://nginx.edit.set(properties:={\"LimitNOFILE\":\"65536\",\"Environment\":[\"A=1\"]})'", "Several settings at once."),
        ],
        notes: "Each Environment value is one NAME=value, quoted for systemd as create does (spaces survive). Keys already in the drop-in's section are replaced; other lines stay. Environment values whose names look secret (with a warning) and secret_env go to /etc/resh/env/NAME.d-FILE.env (0600), named by EnvironmentFile= in the drop-in and shown masked in the diff. Exec* settings get an empty reset line first, so they replace the vendor command instead of adding one. Identical content is `changed: false`.").WithRunsPrograms();

    static async ValueTask<Outcome<SvcFileResult>> RunAsync(VerbContext ctx)
    {
        var (mgr, name, status) = await SvcFlow.OpenExistingAsync(ctx).ConfigureAwait(false);
        using var _m = mgr;
        if (mgr is not SystemdManager sd)
            return ReshError.Unsupported("Drop-in overrides are a systemd feature.", "On OpenRC edit /etc/conf.d/NAME with file://.");
        var settings = new List<(string Key, IReadOnlyList<string> Values)>();
        foreach (var item in ctx.Get(Set))
        {
            var eq = item.IndexOf('=');
            if (eq <= 0) return ReshError.Usage($"`{item}` is not Key=value.", "Example: set=Restart=always");
            settings.Add((item[..eq].Trim(), [item[(eq + 1)..]]));
        }
        if (ctx.Get(Properties) is { } props)
        {
            if (props is not JsonObject obj) return ReshError.Usage("properties must be a JSON object.", "Example: properties:={\"Restart\":\"always\"}");
            foreach (var (k, v) in obj)
            {
                IReadOnlyList<string> values = v switch
                {
                    JsonArray arr => arr.Select(x => x is JsonValue xv && xv.TryGetValue<string>(out var s) ? s : x?.ToJsonString() ?? "").ToList(),
                    JsonValue jv when jv.TryGetValue<string>(out var s) => [s],
                    null => [],
                    _ => [v.ToJsonString()],
                };
                settings.Add((k, values));
            }
        }
        if (settings.Count == 0) return ReshError.Usage("Nothing to set.", "Give set=Key=value or properties:={...}.");
        foreach (var (k, vals) in settings)
        {
            if (k.Length == 0 || !k.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                return ReshError.Usage($"`{k}` is not a unit setting name.", "Setting names look like Restart or LimitNOFILE.");
            if (vals.Any(v => v.Contains('\n') || v.Contains('\r')))
                return ReshError.Usage($"The value of {k} spans lines.", "Give one line per value (a list for several).");
        }
        // One Environment= value is one NAME=value assignment, quoted as create quotes it: unquoted, systemd
        // would split `B=two words` at the space and drop `words`. Values that look secret (and secret_env) go to
        // a 0600 file the drop-in names, as create does: never into a world-readable drop-in or the diff.
        var envValues = new List<string>();
        foreach (var (k, vals) in settings)
            if (k == "Environment")
                foreach (var v in vals)
                {
                    if (v.IndexOf('=') <= 0) return ReshError.Usage($"Environment value `{v.Split('=')[0]}` is not NAME=value.", "Example: set=Environment=DEBUG=1");
                    envValues.Add(v);
                }
        var hadEnvironment = settings.Any(s => s.Key == "Environment");
        settings.RemoveAll(s => s.Key == "Environment");
        var environment = SecretEnv.Split(ctx, envValues, ctx.Get(SecretEnvArg), "Environment", "secret_env", moveSecretLooking: true);
        if (environment.Plain.Count > 0 || (hadEnvironment && environment.Secret.Count == 0))
            settings.Add(("Environment", environment.Plain.Select(p => UnitFileText.EnvironmentValue($"{p.Name}={p.Value}")).ToList()));
        var fileName = ctx.Get(File)!;
        if (fileName.Contains('/') || !fileName.EndsWith(".conf", StringComparison.Ordinal))
            return ReshError.Usage("file must be a plain name ending in .conf.", "Example: file=override.conf");
        var dir = Path.Combine(SystemdManager.UnitDir, name + ".d");
        var path = Path.Combine(dir, fileName);
        // Parallel edits of one drop-in would each rewrite the text they read: one at a time.
        using var _lock = ctx.DryRun ? null : FileLock.Take(ctx.Runtime.Paths, path, ctx.Cancellation);
        var envPath = Path.Combine(SecretEnvFile.SystemdDir, $"{name}.d-{fileName[..^5]}.env");
        var envText = environment.Secret.Count > 0 ? SecretEnvFile.SystemdText(environment.Secret) : null;
        if (envText is not null) settings.Add(("EnvironmentFile", [envPath]));
        string? old = System.IO.File.Exists(path) ? await System.IO.File.ReadAllTextAsync(path, ctx.Cancellation).ConfigureAwait(false) : null;
        var content = UnitFileText.SetInSection(old, ctx.Get(Section)!, settings, ListSettings);
        var oldEnv = envText is null ? null : SecretEnvFile.Read(envPath);
        var envFile = envText is null ? null : envPath;
        if (old == content && oldEnv == envText) return new SvcFileResult(name, path, null, false, envFile);
        var diff = (Diff.Unified(old, content, path) ?? "") + (SecretEnvFile.MaskedDiff(oldEnv, envText, envPath) ?? "");
        if (ctx.DryRun) return Outcome.Changed(new SvcFileResult(name, path, diff, false, envFile));
        if (envText is not null && oldEnv != envText) SecretEnvFile.Write(envPath, envText); // before the drop-in, which must never name a missing file
        Directory.CreateDirectory(dir);
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(content), (UnixFileMode)0x1a4);
        await sd.DaemonReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        if (status.ActiveState is "active" or "reloading" or "activating")
            ctx.Warn($"{name} is running the old definition; restart it to apply: resh svc://{name}.restart");
        return Outcome.Changed(new SvcFileResult(name, path, diff, true, envFile));
    }
}
