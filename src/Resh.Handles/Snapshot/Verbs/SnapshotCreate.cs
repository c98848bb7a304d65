using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Storage;

namespace Resh.Handles.Snapshot;

public static class SnapshotCreate
{
    static readonly Arg<string?> Name = Arg.String("name", "Snapshot name (letters, digits, - _ . @ : +); default: the UTC time.", examples: ["before-upgrade"]);
    static readonly Arg<string?> Message = Arg.String("message", "Why this snapshot was taken.");
    static readonly Arg<IReadOnlyList<string>> Tags = Arg.List("tags", "Labels to filter on later.", examples: ["pre-deploy"]);
    static readonly Arg<IReadOnlyList<string>> Include = Arg.List("include", "Only paths matching these globs.");
    static readonly Arg<IReadOnlyList<string>> Exclude = Arg.List("exclude", "Leave out paths matching these globs (a directory excludes its content).", examples: ["*.log", "cache"]);
    static readonly Arg<string?> Backend = Arg.Enum("backend", "files: content-addressed store; btrfs: a read-only subvolume snapshot (the target must be a btrfs subvolume).", ["files", "btrfs"], "files");

    public static readonly VerbInfo Verb = VerbInfo.Define("create", Effect.Mutate,
        "Capture a directory tree; unchanged files are stored once across snapshots.",
        [Name, Message, Tags, Include, Exclude, Backend, SnapshotArgs.Repo], () => SnapshotJson.Default.SnapshotCreateResult, RunAsync,
        examples:
        [
            new("'snapshot:///tmp/src.create(name=s1)'", "Snapshot /tmp/src as s1."),
            new("snapshot:///etc/nginx create --name before-upgrade --message 'pre 1.26' --exclude '*.bak'", "With a message and an exclusion."),
            new("'snapshot:///mnt/data/app.create(name=s1,backend=btrfs)'", "A btrfs read-only subvolume snapshot."),
        ],
        notes: "A file whose size, mtime and inode match the previous snapshot of the same tree reuses its hash without being read, so a second snapshot of an unchanged tree costs a directory walk and a manifest. " +
               "Names are kept as bytes (a name that is not UTF-8 is shown percent-escaped with `escaped: true`); hard links are recorded and restored as hard links; " +
               "FIFOs are captured, and so are the extended attributes of files and directories: user.*, POSIX ACLs (system.posix_acl_*), security.* and (as root) trusted.*. " +
               "Sockets and device nodes cannot be captured: they are listed in `skipped`, and a restore keeps them where they are. " +
               "A file or directory that cannot be read is left out with a warning naming it (listed in `unreadable`), and a restore leaves it as it is.");

    static async ValueTask<Outcome<SnapshotCreateResult>> RunAsync(VerbContext ctx)
    {
        var tree = SnapshotArgs.Tree(ctx);
        var name = ctx.Get(Name) ?? DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        if (!SnapshotRepo.ValidName(name))
            return ReshError.Usage($"`{name}` is not a valid snapshot name.", "Use letters, digits and - _ . @ : + (not starting with a dot).");
        var repo = SnapshotRepo.For(ctx, ctx.Get(SnapshotArgs.Repo));
        if (repo.Root == tree || repo.Root.StartsWith(tree + "/", StringComparison.Ordinal))
            if (!ctx.Get(Exclude).Any())
                return ReshError.Usage($"The repository {repo.Root} is inside the tree being captured.", "Pass repo= outside the tree, or exclude it.");
        using var repoLock = ctx.DryRun ? null : repo.Lock(ctx.Cancellation);
        if (repo.Load(tree, name) is not null)
            return ReshError.Conflict($"A snapshot `{name}` of {tree} already exists.", "Pick another name, or delete the old one first.");
        var include = ctx.Get(Include);
        var exclude = ctx.Get(Exclude).ToList();
        if (repo.Root.StartsWith(tree + "/", StringComparison.Ordinal)) exclude.Add("/" + repo.Root[(tree.Length + 1)..]);
        var filter = new PathFilter(include, exclude);
        var backend = ctx.Get(Backend)!;
        var previous = repo.List(tree).LastOrDefault(m => m.Backend == "files");

        if (backend == "btrfs")
        {
            if (include.Count > 0 || exclude.Count > 0)
                return ReshError.Unsupported("A btrfs snapshot captures the whole subvolume; include and exclude do not apply.", "Use backend=files to filter.");
            if (!await BtrfsSnapshots.IsSubvolumeAsync(tree, ctx.Cancellation).ConfigureAwait(false))
                return ReshError.Unsupported($"{tree} is not a btrfs subvolume.", "Use backend=files, or make the directory a subvolume (btrfs subvolume create).");
            var subvolume = BtrfsSnapshots.SnapshotPath(tree, name);
            if (Path.Exists(subvolume)) return ReshError.Conflict($"{subvolume} already exists.", "Pick another name.");
            if (ctx.DryRun)
                return Outcome.Changed(new SnapshotCreateResult(new SnapshotSummary(name, tree, SnapshotRepo.Now(), ctx.Get(Message), ctx.Get(Tags), "btrfs", subvolume, 0, 0, 0), repo.Root, 0, 0, 0, 0, [], []));
            await BtrfsSnapshots.CreateAsync(tree, subvolume, ctx.Cancellation).ConfigureAwait(false);
            var meta = TreeScanner.Scan(subvolume, PathFilter.All, null, null, hash: false, null, ctx.Cancellation);
            var bm = new Manifest(name, tree, SnapshotRepo.Now(), ctx.Get(Message), ctx.Get(Tags), [], [], "btrfs", subvolume, meta.Files, meta.Bytes, 0, meta.RootMode, []);
            repo.Save(bm);
            return Outcome.Changed(new SnapshotCreateResult(SnapshotSummary.Of(bm), repo.Root, meta.Directories, meta.Symlinks, 0, 0, meta.Skipped.Select(Display).ToList(), []));
        }

        if (ctx.DryRun)
        {
            var plan = TreeScanner.Scan(tree, filter, previous, null, hash: false, null, ctx.Cancellation);
            return Outcome.Changed(new SnapshotCreateResult(new SnapshotSummary(name, Display(tree), SnapshotRepo.Now(), ctx.Get(Message), ctx.Get(Tags), "files", null, plan.Files, plan.Bytes, 0),
                repo.Root, plan.Directories, plan.Symlinks, plan.Files - plan.Reused, plan.Reused, plan.Skipped.Select(Display).ToList(), []));
        }
        using var progress = ctx.Progress("snapshot", null);
        var scan = TreeScanner.Scan(tree, filter, previous, repo, hash: true, progress, ctx.Cancellation, skipUnreadable: true);
        var manifest = new Manifest(name, tree, SnapshotRepo.Now(), ctx.Get(Message), ctx.Get(Tags), include, exclude, "files", null,
            scan.Files, scan.Bytes, scan.NewBytes, scan.RootMode, scan.Entries, scan.Unreadable);
        repo.Save(manifest);
        foreach (var s in scan.Skipped) ctx.Warn($"{Display(s)}: a socket or device node, which a snapshot cannot hold; left out, and a restore keeps it as it is");
        foreach (var u in scan.Unreadable) ctx.Warn($"{Display(u.Path)}: cannot be read ({u.Reason}); left out of the snapshot, and a restore leaves it as it is");
        return Outcome.Changed(new SnapshotCreateResult(SnapshotSummary.Of(manifest), repo.Root, scan.Directories, scan.Symlinks, scan.Hashed, scan.Reused,
            scan.Skipped.Select(Display).ToList(), scan.Unreadable.Select(u => u with { Path = Resh.Core.Text.PathBytes.Display(u.Path, out var esc), Escaped = esc }).ToList()));
    }

    static string Display(string path) => Resh.Core.Text.PathBytes.Display(path);
}
