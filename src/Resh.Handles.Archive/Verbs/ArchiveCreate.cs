using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Archive.Formats.Tar;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public static class ArchiveCreate
{
    static readonly Arg<IReadOnlyList<string>> Sources = Arg.List("sources", "Files and directories to archive; each is stored under its own name (or relative to base_dir).", required: true, examples: ["/etc/nginx", "/srv/app,/srv/data"], path: PathUse.Read);
    static readonly Arg<string?> BaseDir = Arg.String("base_dir", "Store entries relative to this directory instead of under each source's name.", path: PathUse.Read);
    static readonly Arg<bool> Deterministic = Arg.Bool("deterministic", "Byte-identical output for the same tree: sorted entries, mtimes fixed to SOURCE_DATE_EPOCH (or 0), owners 0:0.");
    static readonly Arg<bool> Overwrite = Arg.Bool("overwrite", "Replace an existing archive (false: conflict when it exists). An unchanged result leaves the file alone.", true);
    internal static readonly Arg<string?> TarFormat = Arg.Enum("tar_format", "tar dialect: gnu (GNU tar's default) or pax (POSIX; sub-second times, sparse maps as pax records).", ["gnu", "pax"], "gnu");
    internal static readonly Arg<bool> Xattrs = Arg.Bool("xattrs", "Store extended attributes (tar only, SCHILY.xattr pax records, as tar --xattrs).");
    internal static readonly Arg<bool> Acls = Arg.Bool("acls", "Store POSIX ACLs (tar only, SCHILY.acl pax records, as tar --acls).");
    internal static readonly Arg<bool> Sparse = Arg.Bool("sparse", "Store the holes of sparse files as holes (tar; as tar --sparse); false stores them as zeros.", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("create", Effect.Mutate,
        "Create an archive from files and directories, faithfully (modes, times, links, empty directories, owners).",
        [Sources, ArchiveArgs.Format, ArchiveArgs.Level, ArchiveArgs.Include, ArchiveArgs.Exclude, BaseDir, Deterministic, ArchiveArgs.Password, Overwrite,
         TarFormat, Xattrs, Acls, Sparse],
        () => ArchiveJson.Default.ArchiveCreateResult, RunAsync,
        examples:
        [
            new("'archive:///tmp/etc.tar.zst.create(sources=/etc/nginx)'", "A zstd tarball of /etc/nginx, stored as nginx/..."),
            new("'archive:///backup/etc.tar.zst.create(sources=/etc,xattrs=true,acls=true)'", "A backup of /etc with extended attributes and ACLs."),
            new("'archive:///tmp/site.zip.create(sources=/srv/site,exclude=*.log,deterministic=true)'", "A reproducible zip without logs."),
            new("archive:///tmp/secret.zip create --sources /srv/keys --password secret:backup/zip", "An AES-256 encrypted zip, its password from the secret store."),
        ],
        notes: "The format comes from the file name (.tar, .tar.gz/.tgz, .tar.bz2, .tar.xz, .tar.zst, .zip, .7z) unless type= is given. " +
               "Entries are written depth-first in name order, as GNU tar writes them. " +
               "The archive is written to a temporary file and renamed into place. 7z is written with the system `7z` (p7zip-full); xz with the system `xz`.");

    static async ValueTask<Outcome<ArchiveCreateResult>> RunAsync(VerbContext ctx)
    {
        var path = ArchivePaths.Resolve(ctx);
        var formatArg = ctx.Get(ArchiveArgs.Format)!;
        var format = formatArg == "auto"
            ? ArchiveFormat.FromFileName(path) ?? throw ReshError.Usage($"Cannot tell the format from the name {PathBytes.Display(Path.GetFileName(path))}.",
                "Name the file .tar.zst, .tar.gz, .zip ... or pass type=.").ToException()
            : ArchiveFormat.Parse(formatArg);
        if (format.IsStream)
            return ReshError.Usage($"{format.Name} compresses a single file; it is not an archive of entries.", $"Use compress: resh archive://SOURCE.compress(type={format.Name}), or a .tar.{format.Name} name.");
        var existing = ArchivePaths.Stat(path, follow: true);
        if (existing is { IsDirectory: true }) return ReshError.Usage($"{PathBytes.Display(path)} is a directory.", "Give the archive file's path as the target.");
        if (!ctx.Get(Overwrite) && existing is not null)
            return ReshError.Conflict($"{PathBytes.Display(path)} already exists.", "Pass overwrite=true to replace it.");
        var parent = Path.GetDirectoryName(path)!;
        if (ArchivePaths.Stat(parent, follow: true) is not { IsDirectory: true }) return ReshError.NotFound($"The directory {PathBytes.Display(parent)} does not exist.", "Create it first.");
        var baseDir = ctx.Get(BaseDir) is { } b ? ArchivePaths.Absolute(b, ctx) : null;
        var password = ctx.GetSecret(ArchiveArgs.Password)?.Reveal();
        var deterministic = ctx.Get(Deterministic);
        var level = ctx.Get(ArchiveArgs.Level) is { } l ? (int)l : (int?)null;
        var filter = new PathFilter(ctx.Get(ArchiveArgs.Include), ctx.Get(ArchiveArgs.Exclude));
        var capture = new CaptureOptions(ctx.Get(Sparse), ctx.Get(Xattrs), ctx.Get(Acls));
        if ((capture.Xattrs || capture.Acls) && format.Container != Container.Tar)
            return ReshError.Unsupported($"{format.Name} cannot store extended attributes or ACLs.", "Use a tar format (tar.zst, tar.gz ...) for xattrs=true / acls=true.");
        var dialect = ctx.Get(TarFormat) == "pax" ? TarDialect.Pax : TarDialect.Gnu;
        Codecs.WarnIfZstdFallback(ctx, format.Codec);

        if (format.Container == Container.SevenZip)
            return await SevenZipCreator.CreateAsync(ctx, path, ctx.Get(Sources), baseDir, level, password, filter, deterministic).ConfigureAwait(false);

        var entries = SourceCollector.Collect(ctx.Get(Sources).Select(s => ArchivePaths.Absolute(baseDir is null ? s : Path.Combine(baseDir, s), ctx)).ToList(), baseDir, filter, ctx.Cancellation);
        var fixedTime = ArchiveBuilder.DeterministicTime();
        long files = 0, dirs = 0, links = 0, hard = 0, bytes = 0;
        var skipped = new List<ArchiveRefusal>();
        var planned = new List<string>();
        foreach (var e in entries)
        {
            switch (e.Kind)
            {
                case ItemKind.File: files++; bytes += e.Status.Size; break;
                case ItemKind.Directory: dirs++; break;
                case ItemKind.Symlink: links++; break;
                case ItemKind.Hardlink: hard++; break;
            }
            if (planned.Count < 1000) planned.Add(PathBytes.Display(e.Name));
        }
        if (ctx.DryRun)
            return Outcome.Changed(new ArchiveCreateResult(PathBytes.Display(path), format.Name, entries.Count, files, dirs, links, hard, bytes, null, null, deterministic, password is not null, skipped, planned));

        using var progress = ctx.Progress("archive", bytes);
        long stored = 0;
        var warnings = new List<string>();
        var (changed, size) = ArchiveBuilder.WriteAtomically(path, file =>
        {
            using var roots = new SourceRoots();
            using var writer = ArchiveBuilder.OpenWriter(file, format, level, password, ctx.Cancellation, dialect);
            foreach (var e in entries)
            {
                ctx.Cancellation.ThrowIfCancellationRequested();
                if (!writer.Supports(e.Kind)) { skipped.Add(new(PathBytes.Display(e.Name, out var esc), "not_supported_by_format", esc)); continue; }
                if (ArchiveBuilder.AddFromDisk(writer, e, ArchiveBuilder.ToItem(e, deterministic, fixedTime), roots, capture) is { } warning)
                {
                    warnings.Add(warning);
                    if (warning.Contains("left out", StringComparison.Ordinal)) continue;
                }
                stored++;
                if (e.Kind == ItemKind.File) progress.Add(e.Status.Size);
            }
            writer.Finish();
        });
        foreach (var w in warnings.Take(100)) ctx.Warn(w);
        foreach (var s in skipped.Take(100)) ctx.Warn($"{s.Path}: {s.Reason}");
        return Outcome.Changed(new ArchiveCreateResult(PathBytes.Display(path), format.Name, stored, files, dirs, links, hard, bytes, size,
            size > 0 ? Math.Round((double)bytes / size, 3) : null, deterministic, password is not null, skipped, null), changed);
    }
}
