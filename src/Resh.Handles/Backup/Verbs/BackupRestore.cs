using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Backup;

public static class BackupRestore
{
    static readonly Arg<string?> To = Arg.String("to", "The directory to restore into; each path keeps its full original path below it.", required: true,
        examples: ["/tmp/restore"], aliases: ["target"], path: PathUse.Write);
    static readonly Arg<IReadOnlyList<string>> Only = Arg.List("paths", "Only these paths of the snapshot (default: all of it).", examples: ["/etc/nginx"]);
    static readonly Arg<bool> Force = Arg.Bool("force", "Restore into a directory that is not empty (files of the snapshot overwrite those there).");

    public static readonly VerbInfo Verb = VerbInfo.Define("restore", Effect.Mutate,
        "Restore a snapshot, whole or some paths, into a directory (refuses a non-empty one unless force).",
        [BackupArgs.Snapshot, To, Only, Force, .. BackupArgs.Common], () => BackupJson.Default.BackupRestoreResult, RunAsync,
        examples:
        [
            new("'backup:///srv/backup/repo.restore(to=/tmp/restore,password=env:RESTIC_PASSWORD)'", "The newest snapshot into /tmp/restore (/etc → /tmp/restore/etc)."),
            new("backup:///srv/backup/repo.restore snapshot=4f3a9c1e paths=/etc/nginx to=/tmp/r password=env:RESTIC_PASSWORD", "One directory of one snapshot."),
        ],
        notes: "Content, modes, owners (as root), modification times and symbolic links are restored by the tool. The counts are of what is below the target afterwards.");

    static async ValueTask<Outcome<BackupRestoreResult>> RunAsync(VerbContext ctx)
    {
        var to = Path.GetFullPath(ctx.Get(To)!);
        var only = ctx.Get(Only).Select(p => "/" + p.Trim('/')).ToList();
        if (File.Exists(to)) return ReshError.Conflict($"{to} is a file, not a directory.", "Give a directory for to=.");
        if (Directory.Exists(to) && Directory.EnumerateFileSystemEntries(to).Any() && !ctx.Get(Force))
            return ReshError.Conflict($"{to} is not empty.", "Restore into an empty or new directory, or pass force=true to overwrite what is there.");
        using var s = BackupSession.Open(ctx);
        var snap = await BackupSnapshots.ResolveAsync(s, ctx.Get(BackupArgs.Snapshot)!).ConfigureAwait(false);
        if (ctx.DryRun) return Outcome.Changed(new BackupRestoreResult(s.Target.Display, s.Kind, snap, to, only, 0, 0, 0, 0));
        Directory.CreateDirectory(to);
        if (s.IsBorg)
        {
            var argv = new List<string> { "extract", "--log-json", "--", s.Repo + "::" + snap };
            argv.AddRange(only.Select(p => p.TrimStart('/')).Where(p => p.Length > 0));
            await s.RunAsync(argv, workingDirectory: to).ConfigureAwait(false);
        }
        else
        {
            var argv = new List<string> { "restore", snap, "--target", to };
            foreach (var p in only.Where(p => p != "/")) argv.Add("--include=" + p);
            await s.RunAsync(argv).ConfigureAwait(false);
        }
        long files = 0, dirs = 0, links = 0, bytes = 0;
        foreach (var e in new DirectoryInfo(to).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            // From what the enumeration read (lstat), never by name again: a name that is not UTF-8 cannot be looked up by
            // the string .NET made of it (s34 user D2: a restore that worked was reported as not_found).
            try
            {
                if ((e.Attributes & FileAttributes.ReparsePoint) != 0) links++;
                else if (e is DirectoryInfo) dirs++;
                else if (e is FileInfo f) { files++; bytes += f.Length; }
            }
            catch (IOException) { files++; }
        }
        return Outcome.Changed(new BackupRestoreResult(s.Target.Display, s.Kind, snap, to, only, files, dirs, links, bytes));
    }
}
