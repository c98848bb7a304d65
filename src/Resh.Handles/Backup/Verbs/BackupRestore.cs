using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

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
        var st = Posix.Stat(to, false, out _);
        if (st is { IsSymlink: true })
            return ReshError.Conflict($"{to} is a symbolic link.", "Give the directory itself: a restore never writes through a link someone else may have placed.");
        if (st is { IsDirectory: false }) return ReshError.Conflict($"{to} is a file, not a directory.", "Give a directory for to=.");
        var empty = st is null || !Directory.EnumerateFileSystemEntries(to).Any();
        if (!empty && !ctx.Get(Force))
            return ReshError.Conflict($"{to} is not empty.", "Restore into an empty or new directory, or pass force=true to overwrite what is there.");
        using var s = BackupSession.Open(ctx);
        var snap = await BackupSnapshots.ResolveAsync(s, ctx.Get(BackupArgs.Snapshot)!).ConfigureAwait(false);
        if (ctx.DryRun) return Outcome.Changed(new BackupRestoreResult(s.Target.Display, s.Kind, snap, to, only, 0, 0, 0, 0));
        // Into an empty or new target, the tool writes into a fresh private directory beside it that nobody else can
        // have prepared, which then takes the target's name without replacing anything (s34 attacker: a link swapped in
        // for to= between the check and the tool's writes redirected the restore).
        var into = empty ? FreshSibling(to) : to;
        try
        {
            await RestoreIntoAsync(s, snap, only, into).ConfigureAwait(false);
            if (empty && only.Count > 0 && !Directory.EnumerateFileSystemEntries(into).Any())
                throw ReshError.NotFound($"None of {string.Join(", ", only)} is in snapshot {snap}; nothing was restored.",
                    "List the snapshot's files: backup://REPO.ls snapshot=" + snap).ToException();
            if (empty) TakeName(into, to, st);
        }
        catch when (empty)
        {
            try { Directory.Delete(into, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
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

    static async Task RestoreIntoAsync(BackupSession s, string snap, List<string> only, string into)
    {
        if (s.IsBorg)
        {
            var argv = new List<string> { "extract", "--log-json", "--", s.Repo + "::" + snap };
            argv.AddRange(only.Select(p => p.TrimStart('/')).Where(p => p.Length > 0));
            await s.RunAsync(argv, workingDirectory: into).ConfigureAwait(false);
        }
        else
        {
            var argv = new List<string> { "restore", snap, "--target", into };
            foreach (var p in only.Where(p => p != "/")) argv.Add("--include=" + p);
            await s.RunAsync(argv).ConfigureAwait(false);
        }
    }

    /// <summary>A new 0700 directory next to <paramref name="to"/> (same file system, so a rename can move it there).</summary>
    static string FreshSibling(string to)
    {
        var parent = Path.GetDirectoryName(to) ?? "/";
        if (!Directory.Exists(parent))
            throw ReshError.NotFound($"The directory {parent} does not exist.", "Create it first, or restore below an existing directory.").ToException();
        for (var i = 0; i < 16; i++)
        {
            var dir = Path.Combine(parent, $".{Path.GetFileName(to)}.resh-restore-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}");
            var err = Posix.MkdirAt(Posix.AT_FDCWD, dir, 0x1C0);
            if (err == 0) return dir;
            if (err != Posix.EEXIST)
                throw ReshError.PermissionDenied($"Cannot create a directory in {parent} to restore into (errno {err}).", "Restore below a directory you can write.").ToException();
        }
        throw ReshError.Failed($"Could not make a fresh directory in {parent}.", "Try again.").ToException();
    }

    /// <summary>The restored tree takes the target's name: an empty target directory is removed first, and the rename
    /// replaces nothing (a link or file that appeared there meanwhile makes it fail rather than be followed).</summary>
    static void TakeName(string into, string to, FileStatus? was)
    {
        var mode = was?.Permissions ?? (0x1FFu & ~ProcessUmask.Read());
        if (Directory.Exists(to) && Posix.UnlinkAt(Posix.AT_FDCWD, to, directory: true) is var rm and not 0 and not Posix.ENOENT)
            throw ReshError.Conflict($"{to} changed while restoring (errno {rm}).", "Restore again into an empty or new directory.").ToException();
        if (Posix.RenameAt(Posix.AT_FDCWD, into, Posix.AT_FDCWD, to, Posix.RENAME_NOREPLACE) is var err and not 0)
            throw ReshError.Conflict($"{to} appeared while restoring (errno {err}).", "Restore again into an empty or new directory.").ToException();
        // The directory keeps the owner and mode it had (a new one: the caller's, with the umask).
        if (was is { } w) Posix.FChownAt(Posix.AT_FDCWD, to, w.Uid, w.Gid, follow: false);
        Posix.FChmodAt(Posix.AT_FDCWD, to, mode, follow: false);
    }
}
