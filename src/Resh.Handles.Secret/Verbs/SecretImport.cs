using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;
using Resh.Handles.Secret.Keystore;

namespace Resh.Handles.Secret.Verbs;

public static class SecretImport
{
    static readonly Arg<bool> Overwrite = Arg.Bool("overwrite", "When a secret exists here with another value, add the bundle's value as its new version (the old one is kept).");

    public static readonly VerbInfo Verb = VerbInfo.Define("import", Effect.Mutate,
        "Read an encrypted bundle (from secret.export) into the local keystore; all or nothing.",
        [SecretExport.File, SecretExport.Passphrase, Overwrite, .. SecretArgs.BackendArgs], () => SecretJson.Default.SecretImportResult, Run,
        examples:
        [
            new("secret://.import file=/tmp/secrets.bundle passphrase=env:BUNDLE_PASSPHRASE", "New secrets come with their whole history."),
            new("secret://.import file=/tmp/secrets.bundle passphrase=@- overwrite=true", "Also update secrets that differ here."),
        ],
        notes: "A secret that is new here arrives with every version, tags and times. One whose current value already matches is left alone. "
            + "One that differs is a `conflict` for the whole import (nothing is written) unless overwrite=true.");

    static Outcome<SecretImportResult> Run(VerbContext ctx)
    {
        var path = Path.GetFullPath(ctx.Get(SecretExport.File)!);
        var backend = SecretArgs.Writable(ctx);
        var body = Bundle.Read(path, ctx.GetSecret(SecretExport.Passphrase)!, ctx.Runtime);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in body.Entries)
            if (!SecretNames.IsValid(e.Name) || !names.Add(e.Name) || e.Versions.Count == 0 || e.Versions.All(v => v.Version != e.Current)
                || e.Versions.Select(v => v.Version).Distinct().Count() != e.Versions.Count || e.Versions.Any(v => v.Version < 1 || !IsBase64(v.Value)))
                return ReshError.Failed($"The bundle {path} holds an invalid entry ({(SecretNames.IsValid(e.Name) ? e.Name : "a bad name")}).", "Export it again.");
        var overwrite = ctx.Get(Overwrite);
        var keep = KeystoreChange.MaxVersions(ctx);
        return KeystoreChange.Run(ctx, backend, store =>
        {
            var imported = new List<string>();
            var unchanged = new List<string>();
            var conflicts = new List<string>();
            foreach (var e in body.Entries)
            {
                var current = SecretValue.FromBytes(Convert.FromBase64String(e.Versions.First(v => v.Version == e.Current).Value));
                var here = store.Find(e.Name);
                if (here is null)
                {
                    var entry = store.AddEntry(e.Name);
                    entry.Created = e.Created ?? entry.Created;
                    entry.Tags = new Dictionary<string, string>(e.Tags, StringComparer.Ordinal);
                    entry.Generator = e.Generator;
                    foreach (var v in e.Versions) store.ImportVersion(entry, v.Version, v.Created, SecretValue.FromBytes(Convert.FromBase64String(v.Value)));
                    entry.Current = e.Current;
                    entry.Updated = e.Updated ?? entry.Updated;
                    imported.Add(e.Name);
                }
                else if (KeystoreChange.IsCurrent(store, here, current)) unchanged.Add(e.Name);
                else if (overwrite)
                {
                    store.AddVersion(here, current, keep);
                    imported.Add(e.Name);
                }
                else conflicts.Add(e.Name);
            }
            if (conflicts.Count > 0)
                throw ReshError.Conflict($"{conflicts.Count} secret(s) in the bundle differ from the ones here ({string.Join(", ", conflicts.Take(10))}); nothing was imported.",
                    "Pass overwrite=true to add the bundle's values as new versions, or delete the secrets here first.",
                    new JsonObject { ["conflicts"] = new JsonArray(conflicts.Select(c => (JsonNode?)c).ToArray()) }).ToException();
            return (new SecretImportResult(path, body.Entries.Count, imported, unchanged, conflicts), imported.Count > 0);
        });
    }

    static bool IsBase64(string? text)
    {
        if (text is null) return false;
        var buffer = new byte[(text.Length * 3 + 3) / 4];
        return Convert.TryFromBase64String(text, buffer, out _);
    }
}
