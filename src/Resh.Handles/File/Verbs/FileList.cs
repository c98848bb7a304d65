using System.Globalization;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileList
{
    static readonly Arg<string?> Pattern = Arg.String("pattern", "Glob: *.log, ?, [a-c], {a,b}; with a slash it matches the path below the directory (sub/*.txt, **/*.conf, implies recursion).",
        examples: ["*.log", "**/*.conf", "{a,b}*"], aliases: ["glob"]);
    static readonly Arg<bool> Recursive = Arg.Bool("recursive", "Descend into subdirectories (symlinks are listed, never followed).");
    static readonly Arg<long?> Depth = Arg.Int("depth", "Deepest level to list when recursive (1 = direct children).", min: 1);
    static readonly Arg<bool> Hidden = Arg.Bool("hidden", "Include dotfiles and descend into dot-directories (ls -A).", aliases: ["all"]);
    static readonly Arg<string?> Type = Arg.Enum("type", "Only entries of this type.", ["file", "directory", "symlink", "other"]);
    static readonly Arg<string?> Sort = Arg.Enum("sort", "Order: name (path, ascending), size (largest first), mtime (newest first).", ["name", "size", "mtime"], "name");
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
        notes: "Listing a file lists just that file; a symlink to a directory lists the directory. Unreadable subdirectories are skipped with a warning.",
        human: Render);

    static Outcome<FileListResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var st = FileMetadata.StatOrThrow(path, follow: true);
        var glob = ctx.Get(Pattern) is { } p ? Glob.Parse(p) : null;
        var type = ctx.Get(Type);
        var matched = new List<FileEntry>();

        if (!st.IsDirectory)
        {
            var own = FileMetadata.StatOrThrow(path, follow: false);
            var entry = Entry(path, Path.GetFileName(path), own, 0);
            if ((glob is null || glob.IsMatch(entry.Name)) && TypeMatches(type, entry.Type)) matched.Add(entry);
        }
        else
        {
            var hidden = ctx.Get(Hidden) || glob is { NamesHidden: true };
            int maxDepth = 1;
            if (ctx.Get(Recursive) || glob is { MatchesPaths: true })
                maxDepth = ctx.Get(Depth) is { } d ? (int)Math.Min(d, int.MaxValue) : glob is { MatchesPaths: true, Deep: false } g ? g.Segments : int.MaxValue;
            bool rootUnreadable = false;
            var walk = TreeWalk.Enumerate(path, maxDepth, e => hidden || !e.Name.StartsWith('.'),
                (where, ex) =>
                {
                    if (where == path) rootUnreadable = true;
                    else ctx.Warn($"Skipped {where}: {ExceptionTranslation.OneLine(ex.Message)}");
                }, ctx.Cancellation);
            foreach (var w in walk)
            {
                if (!hidden && w.Name.StartsWith('.')) continue;
                if (glob is not null && !glob.IsMatch(glob.MatchesPaths ? Path.GetRelativePath(path, w.Path) : w.Name)) continue;
                var entry = Entry(w.Path, w.Name, w.Stat, w.Depth);
                if (TypeMatches(type, entry.Type)) matched.Add(entry);
            }
            if (rootUnreadable)
                return FileErrors.FromErrno(FileNative.EACCES, path, "list");
        }

        IEnumerable<FileEntry> ordered = ctx.Get(Sort) switch
        {
            "size" => matched.OrderByDescending(e => e.Size).ThenBy(e => e.Path, StringComparer.Ordinal),
            "mtime" => matched.OrderByDescending(e => e.Mtime, StringComparer.Ordinal).ThenBy(e => e.Path, StringComparer.Ordinal),
            _ => matched.OrderBy(e => e.Path, StringComparer.Ordinal),
        };
        if (ctx.Get(Reverse)) ordered = ordered.Reverse();
        var limit = ctx.Get(Limit);
        var entries = (limit is { } l ? ordered.Take((int)Math.Min(l, int.MaxValue)) : ordered).ToList();

        var result = new FileListResult(path, entries, entries.Count, matched.Count,
            entries.Count(e => e.Type == "file"), entries.Count(e => e.Type == "directory"),
            entries.Where(e => e.Type == "file").Sum(e => e.Size), entries.Count < matched.Count);
        var raw = new StringBuilder();
        foreach (var e in entries) raw.Append(e.Path).Append('\n');
        return new Outcome<FileListResult>(result, false).WithRaw(RawPayload.FromText(raw.ToString(), newline: false));
    }

    static bool TypeMatches(string? wanted, string type) => wanted switch
    {
        null => true,
        "other" => type is not ("file" or "directory" or "symlink"),
        _ => wanted == type,
    };

    static FileEntry Entry(string path, string name, FileStatus st, int depth)
    {
        string? link = null;
        if (st.IsSymlink)
        {
            try { link = new FileInfo(path).LinkTarget; } catch (IOException) { }
        }
        return new FileEntry(name, path, st.TypeName, st.Size, FileMetadata.OctalMode(st.Permissions), FileMetadata.Rfc3339(st.ModifyTime), link, depth);
    }

    /// <summary>ls -l style view for people.</summary>
    static string Render(FileListResult r)
    {
        var sb = new StringBuilder();
        var width = r.Entries.Count == 0 ? 1 : r.Entries.Max(e => e.Size.ToString(CultureInfo.InvariantCulture).Length);
        foreach (var e in r.Entries)
        {
            var shown = e.Depth <= 1 ? e.Name : Path.GetRelativePath(r.Path, e.Path);
            var mtime = e.Mtime.Length >= 16 ? e.Mtime[..16].Replace('T', ' ') : e.Mtime;
            sb.Append(FileMetadata.SymbolicMode(Convert.ToUInt32(e.Mode, 8) | TypeBits(e.Type))).Append("  ")
              .Append(e.Size.ToString(CultureInfo.InvariantCulture).PadLeft(width)).Append("  ")
              .Append(mtime).Append("  ").Append(shown);
            if (e.Type == "directory") sb.Append('/');
            if (e.LinkTarget is not null) sb.Append(" -> ").Append(e.LinkTarget);
            sb.Append('\n');
        }
        sb.Append(CultureInfo.InvariantCulture, $"{r.Count} entries ({r.Files} files, {r.Directories} directories, {r.Bytes} bytes)");
        if (r.Truncated) sb.Append(CultureInfo.InvariantCulture, $", {r.Matched - r.Count} more not shown");
        return sb.Append('\n').ToString();
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
