using System.Globalization;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Text;
using Resh.Core.Values;

namespace Resh.Handles.Files;

public static class FileList
{
    static readonly Arg<string?> Pattern = Arg.String("pattern", "Glob: *.log, ?, [a-c], {a,b}; with a slash it matches the path below the directory (sub/*.txt, **/*.conf, implies recursion).",
        examples: ["*.log", "**/*.conf", "{a,b}*"], aliases: ["glob"]);
    static readonly Arg<bool> Recursive = Arg.Bool("recursive", "Descend into subdirectories (symlinks are listed, never followed).");
    static readonly Arg<long?> Depth = Arg.Int("depth", "Deepest level to list when recursive (1 = direct children).", min: 1);
    static readonly Arg<bool> Hidden = Arg.Bool("hidden", "Include dotfiles and descend into dot-directories (ls -A).", aliases: ["all"]);
    static readonly Arg<string?> Type = Arg.Enum("type", "Only entries of this type.", ["file", "directory", "symlink", "other"]);
    static readonly Arg<string?> Sort = Arg.Enum("sort", "Order: name (tree order: by name within each directory, a directory followed by its contents; streams without buffering), size (largest first), mtime (newest first).", ["name", "size", "mtime"], "name");
    static readonly Arg<bool> Reverse = Arg.Bool("reverse", "Reverse the order.");
    static readonly Arg<long?> Limit = Arg.Int("limit", "Return at most this many entries (after sorting).", min: 0);

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "List a directory (or one file): names, types, sizes, modes, times, link targets.",
        [Pattern, Recursive, Depth, Hidden, Type, Sort, Reverse, Limit], () => FileJson.Default.FileListResult, Run,
        examples:
        [
            new("file:///etc.list", "The entries of /etc."),
            new("file:///var/log.list pattern='*.log' sort=size limit=5", "The five largest logs."),
            new("file:///srv.list pattern='**/*.conf'", "Every .conf file below /srv."),
            new("file:///tmp.list --format raw", "Just the paths, one per line."),
        ],
        notes: "Listing a file lists just that file; a symlink to a directory lists the directory. Unreadable subdirectories are skipped with a warning. " +
               "Names are bytes: a name that is not UTF-8 is shown percent-escaped (%XX per raw byte, %25 for %) with `escaped: true`, and that form is accepted back in a file:// target. " +
               "The default order streams: memory stays constant whatever the size of the tree (sort=size, sort=mtime and reverse hold the matches in memory to sort them).",
        humanWriter: Render).WithPathConfinement();

    static Outcome<FileListResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var glob = ctx.Get(Pattern) is { } p ? Glob.Parse(p) : null;
        var type = ctx.Get(Type);
        var sort = ctx.Get(Sort);
        var reverse = ctx.Get(Reverse);
        var limit = ctx.Get(Limit) is { } l ? (int)Math.Min(l, int.MaxValue) : (int?)null;
        // Under a surface's path patterns the target is opened through descriptors and judged on the kernel's name, and the
        // entries are read from that descriptor (getdents64, fstatat, openat O_NOFOLLOW below it); elsewhere by path as ever.
        int confinedDir = -1;
        FileStatus st;
        using (var judged = PathConfinement.OpenRead(path, Posix.O_PATH, out var confinedErrno, out var confined))
        {
            if (confined)
            {
                if (judged is null) throw confinedErrno is 2 or 20 ? FileMetadata.NotFound(path).ToException() : FileErrors.Throw(confinedErrno, path, "list");
                st = Posix.FStat((int)judged.DangerousGetHandle(), out var serr) ?? throw FileErrors.Throw(serr, path, "list");
                if (st.IsDirectory)
                {
                    confinedDir = Posix.OpenAt((int)judged.DangerousGetHandle(), ".", Posix.O_RDONLY | Posix.O_DIRECTORY);
                    if (confinedDir < 0) return FileErrors.FromErrno(-confinedDir, path, "list");
                }
            }
            else st = FileMetadata.StatOrThrow(path, follow: true);
        }

        bool rootUnreadable = false;
        IEnumerable<Listed> found;
        if (!st.IsDirectory)
        {
            FileStatus own;
            string? link = null;
            if (PathConfinement.Active)
                own = FileMetadata.ConfinedStat(path, follow: false, out _, out link) ?? throw FileMetadata.NotFound(path).ToException();
            else
            {
                own = FileMetadata.StatOrThrow(path, follow: false);
                if (own.IsSymlink) link = Posix.ReadLink(path, out _);
            }
            var name = Path.GetFileName(path);
            found = (glob is null || glob.IsMatch(name)) && TypeMatches(type, own.TypeName)
                ? [ToListed(path, name, own, 0, link)] : [];
        }
        else
        {
            var hidden = ctx.Get(Hidden) || glob is { NamesHidden: true };
            int maxDepth = 1;
            if (ctx.Get(Recursive) || glob is { MatchesPaths: true })
                maxDepth = ctx.Get(Depth) is { } d ? (int)Math.Min(d, int.MaxValue) : glob is { MatchesPaths: true, Deep: false } g ? g.Segments : int.MaxValue;
            Func<WalkEntry, bool> descend = e => hidden || !e.Name.StartsWith('.');
            Action<string, int> onError = (where, errno) =>
            {
                if (where == path) rootUnreadable = true;
                else ctx.Warn($"Skipped {FilePaths.Display(where)}: {Posix.StrError(errno)}");
            };
            var walk = confinedDir >= 0
                ? TreeWalk.EnumerateFd(confinedDir, path, maxDepth, descend, onError, ctx.Cancellation)
                : TreeWalk.Enumerate(path, maxDepth, descend, onError, ctx.Cancellation);
            found = Matches(walk, path, hidden, glob, type);
        }

        // Tree order (by name within each directory, each directory followed by its contents) is the walk's own,
        // so the default listing streams through the spool; other orders sort what matched.
        IEnumerable<Listed> ordered = sort switch
        {
            "size" => found.OrderByDescending(e => e.Size).ThenBy(e => e.Path, StringComparer.Ordinal),
            "mtime" => found.OrderByDescending(e => e.MtimeTicks).ThenBy(e => e.Path, StringComparer.Ordinal),
            _ => found,
        };
        if (reverse) ordered = ordered.Reverse();

        var spool = new ListingSpool();
        int matched = 0, files = 0, dirs = 0;
        long bytes = 0;
        foreach (var e in ordered)
        {
            matched++;
            if (limit is { } max && spool.Count >= max) continue;
            spool.Add(e);
            if (e.Type == "file") { files++; bytes += e.Size; }
            else if (e.Type == "directory") dirs++;
        }
        if (rootUnreadable)
            return FileErrors.FromErrno(FileNative.EACCES, path, "list");

        var result = new FileListResult(FilePaths.Display(path), spool.AsList(ToEntry), spool.Count, matched, files, dirs, bytes, spool.Count < matched);
        return new Outcome<FileListResult>(result, false).WithRaw(RawPayload.FromWriter((output, ct) =>
        {
            foreach (var e in spool.Entries())
            {
                ct.ThrowIfCancellationRequested();
                output.Write(PathBytes.Encode(e.Path));
                output.WriteByte((byte)'\n');
            }
        }));
    }

    static IEnumerable<Listed> Matches(IEnumerable<WalkEntry> walk, string root, bool hidden, Glob? glob, string? type)
    {
        foreach (var w in walk)
        {
            if (!hidden && w.Name.StartsWith('.')) continue;
            if (glob is not null && !glob.IsMatch(glob.MatchesPaths ? Path.GetRelativePath(root, w.Path) : w.Name)) continue;
            if (!TypeMatches(type, w.Stat.TypeName)) continue;
            yield return ToListed(w.Path, w.Name, w.Stat, w.Depth, w.Stat.IsSymlink ? Posix.ReadLinkAt(w.DirFd, w.Name, out _) : null);
        }
    }

    static Listed ToListed(string path, string name, FileStatus st, int depth, string? link) =>
        new(path, path.Length - name.Length, st.TypeName, st.Size, st.Permissions, st.ModifyTime.UtcTicks, link, depth);

    static FileEntry ToEntry(Listed e)
    {
        var shownPath = PathBytes.Display(e.Path, out var e1);
        var shownName = PathBytes.Display(e.Path[e.NameAt..], out var e2);
        bool e3 = false;
        var shownLink = e.Link is null ? null : PathBytes.Display(e.Link, out e3);
        return new FileEntry(shownName, shownPath, e.Type, e.Size, FileMetadata.OctalMode(e.Mode),
            FileMetadata.Rfc3339(new DateTimeOffset(e.MtimeTicks, TimeSpan.Zero)), shownLink, e.Depth, e1 || e2 || e3);
    }

    static bool TypeMatches(string? wanted, string type) => wanted switch
    {
        null => true,
        "other" => type is not ("file" or "directory" or "symlink"),
        _ => wanted == type,
    };

    /// <summary>
    /// ls -l style view for people, written line by line: a listing of a whole tree streams. The size column
    /// is as wide as the widest size, found by a first pass over the listing (the spool reads back from its
    /// file), so every row lines up whatever the tree's size, as ls does.
    /// </summary>
    static void Render(FileListResult r, TextWriter output)
    {
        // ls -lh: sizes in human units (the JSON keeps bytes); names and link targets escaped, so a tab or a
        // line break in a name shows as \t or \n instead of breaking the row.
        var width = r.Entries.Count == 0 ? 1 : r.Entries.Max(e => SizeValue.Human(e.Size).Length);
        var sb = new StringBuilder();
        foreach (var e in r.Entries)
        {
            var shown = e.Depth <= 1 ? e.Name : Path.GetRelativePath(r.Path, e.Path);
            var mtime = e.Mtime.Length >= 16 ? e.Mtime[..16].Replace('T', ' ') : e.Mtime;
            sb.Clear();
            sb.Append(FileMetadata.SymbolicMode(Convert.ToUInt32(e.Mode, 8) | TypeBits(e.Type))).Append("  ")
              .Append(SizeValue.Human(e.Size).PadLeft(width)).Append("  ")
              .Append(mtime).Append("  ").Append(TerminalText.Escape(shown));
            if (e.Type == "directory") sb.Append('/');
            if (e.LinkTarget is not null) sb.Append(" -> ").Append(TerminalText.Escape(e.LinkTarget));
            sb.Append('\n');
            output.Write(sb.ToString());
        }
        sb.Clear();
        sb.Append(CultureInfo.InvariantCulture, $"{r.Count} entries ({r.Files} files, {r.Directories} directories, {SizeValue.Human(r.Bytes)})");
        if (r.Truncated) sb.Append(CultureInfo.InvariantCulture, $", {r.Matched - r.Count} more not shown");
        output.Write(sb.Append('\n').ToString());
    }

    static uint TypeBits(string type) => type switch
    {
        "directory" => FileStatus.S_IFDIR,
        "symlink" => FileStatus.S_IFLNK,
        "file" => FileStatus.S_IFREG,
        "char_device" => FileStatus.S_IFCHR,
        "block_device" => FileStatus.S_IFBLK,
        "fifo" => FileStatus.S_IFIFO,
        "socket" => FileStatus.S_IFSOCK,
        _ => 0,
    };
}
