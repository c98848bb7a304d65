using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Secrets;
using Resh.Handles.Secret.Backends;
using Resh.Handles.Secret.Keystore;

namespace Resh.Handles.Secret.Verbs;

public static class SecretExport
{
    internal static readonly Arg<string?> File = Arg.String("file", "The bundle file.", required: true, aliases: ["path"], path: PathUse.Write);
    internal static readonly Arg<SecretRef?> Passphrase = Arg.Secret("passphrase",
        "Passphrase the bundle is encrypted with (Argon2id): env:VAR, file:PATH, secret:NAME or @-.", required: true);
    static readonly Arg<bool> Overwrite = Arg.Bool("overwrite", "Replace an existing bundle file.");

    public static readonly VerbInfo Verb = VerbInfo.Define("export", Effect.Mutate,
        "Write secrets (every version, tags and times) to an encrypted bundle file for another machine.",
        [File, Passphrase, Overwrite, .. SecretArgs.BackendArgs], () => SecretJson.Default.SecretExportResult, Run,
        examples:
        [
            new("secret://.export file=/tmp/secrets.bundle passphrase=env:BUNDLE_PASSPHRASE", "Every secret of the local keystore."),
            new("secret://db/.export file=/tmp/db.bundle passphrase=@-", "Only names under db/, the passphrase from stdin."),
            new("secret://.export file=/tmp/pass.bundle passphrase=env:P backend=pass", "Move a password store into resh (import it on the other side)."),
        ],
        notes: "The bundle is written atomically, 0600: AES-256-GCM under an Argon2id key of the passphrase. Read-only backends export each secret's current value.");

    static Outcome<SecretExportResult> Run(VerbContext ctx)
    {
        var prefix = SecretArgs.Prefix(ctx);
        var path = Path.GetFullPath(ctx.Get(File)!);
        if (System.IO.File.Exists(path) && !ctx.Get(Overwrite))
            return ReshError.Conflict($"{path} exists already.", "Pass overwrite=true to replace it.");
        if (!Directory.Exists(Path.GetDirectoryName(path)))
            return ReshError.NotFound($"The directory of {path} does not exist.", "Create it first.");
        if (!ctx.DryRun && WritableProblem(path) is { } problem) return problem;
        var passphrase = ctx.GetSecret(Passphrase)!;
        var backend = SecretArgs.BackendFor(ctx);
        var body = new BundleBody();
        int versions = 0;
        if (backend is LocalBackend local && local.Store is { } store)
        {
            foreach (var e in store.Body.Entries.Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal)))
            {
                var entry = new BundleEntry { Name = e.Name, Created = e.Created, Updated = e.Updated, Current = e.Current, Tags = new(e.Tags), Generator = e.Generator };
                foreach (var v in e.Versions)
                    entry.Versions.Add(new BundleVersion { Version = v.Version, Created = v.Created, Value = Convert.ToBase64String(store.Read(e, v).RevealBytes()) });
                versions += entry.Versions.Count;
                body.Entries.Add(entry);
            }
        }
        else if (backend is not LocalBackend)
        {
            foreach (var m in backend.List(prefix))
            {
                if (backend.Read(m.Name, null, ctx.Cancellation) is not { } read) continue;
                body.Entries.Add(new BundleEntry
                {
                    Name = m.Name, Created = m.Created, Updated = m.Updated, Current = 1,
                    Versions = [new BundleVersion { Version = 1, Created = m.Updated, Value = Convert.ToBase64String(read.Value.RevealBytes()) }],
                });
                versions++;
            }
        }
        var result = new SecretExportResult(path, backend.Name, body.Entries.Count, versions, body.Entries.Select(e => e.Name).ToList());
        if (ctx.DryRun) return Outcome.Changed(result);
        AtomicFile.Write(path, Bundle.Write(body, passphrase), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return Outcome.Changed(result);
    }

    /// <summary>
    /// The bundle is written to a temporary file beside PATH and renamed over it: a directory that takes no new file
    /// (/proc, /sys, read-only mounts) is told before the passphrase's key is derived, not as "No such file" after it.
    /// </summary>
    static ReshError? WritableProblem(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        if (Directory.Exists(path))
            return ReshError.Usage($"{path} is a directory, not a bundle file.", "Give the path of a file: file=/tmp/secrets.bundle.");
        try
        {
            using var probe = new FileStream(AtomicFile.TempName(path), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return ReshError.PermissionDenied($"{path} cannot be written: this user may not create files in {dir}.", "Give a path in a directory this user may write, or run as its owner.");
        }
        catch (IOException ex)
        {
            return ReshError.Usage($"{path} cannot be written: {dir} does not take new files ({ex.Message.TrimEnd('.')}).",
                "The bundle is written to a temporary file beside it and renamed over it; give a path in a writable directory (not under /proc or /sys).",
                new System.Text.Json.Nodes.JsonObject { ["path"] = path, ["directory"] = dir });
        }
    }
}
