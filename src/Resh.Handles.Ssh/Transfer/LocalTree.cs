using System.Security.Cryptography;
using Resh.Core.Errors;

namespace Resh.Handles.Ssh.Transfer;

/// <summary>
/// A local file or directory tree to send: regular files and directories, and symlinks as asked
/// (<c>skip</c> them, <c>follow</c> them to what they point to, or <c>keep</c> them as links). Special
/// files are always skipped. The path named as the source is followed when it is a link itself, as cp does.
/// </summary>
public sealed record LocalTree(string Root, bool IsDirectory, IReadOnlyList<string> Dirs, IReadOnlyList<LocalTree.Entry> Files,
    IReadOnlyList<LocalTree.Link> Links, IReadOnlyList<string> Skipped)
{
    public sealed record Entry(string Relative, string FullPath, long Size, UnixFileMode Mode, DateTime ModifiedUtc);

    /// <summary>A symlink kept as a link: where it points, as written.</summary>
    public sealed record Link(string Relative, string Target);

    public static LocalTree Scan(string path, string links = "skip")
    {
        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        var resolved = info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true) : info;
        if (resolved is FileInfo { Exists: true } file)
            return new LocalTree(full, false, [], [EntryOf("", full, file)], [], []);
        if (resolved is null || !Directory.Exists(full))
            throw ReshError.NotFound($"{full} does not exist.", "Check the local path.").ToException();
        var dirs = new List<string>();
        var files = new List<Entry>();
        var kept = new List<Link>();
        var skipped = new List<string>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { Real(full) };
        var pending = new Stack<(DirectoryInfo Dir, string Relative)>();
        pending.Push((new DirectoryInfo(full), ""));
        while (pending.Count > 0)
        {
            var (d, relDir) = pending.Pop();
            foreach (var e in d.EnumerateFileSystemInfos().OrderBy(x => x.Name, StringComparer.Ordinal))
            {
                var rel = relDir.Length == 0 ? e.Name : $"{relDir}/{e.Name}";
                if (rel.Contains('\n') || rel.Contains('\r')) { skipped.Add(rel); continue; }
                FileSystemInfo target = e;
                if (e.LinkTarget is { } linkTarget)
                {
                    if (links == "keep")
                    {
                        if (linkTarget.Contains('\n') || linkTarget.Contains('\t') || linkTarget.Length == 0) skipped.Add(rel);
                        else kept.Add(new Link(rel, linkTarget));
                        continue;
                    }
                    if (links != "follow") { skipped.Add(rel); continue; }
                    var final = e.ResolveLinkTarget(returnFinalTarget: true);
                    if (final is null || !final.Exists) { skipped.Add(rel); continue; } // dangling
                    target = final;
                }
                if (target is DirectoryInfo sub)
                {
                    if (!visited.Add(Real(sub.FullName))) { skipped.Add(rel); continue; } // a link loop or a second way into one directory
                    dirs.Add(rel);
                    pending.Push((sub, rel));
                }
                else if (target is FileInfo f && !IsSpecial(f.FullName)) files.Add(EntryOf(rel, e.FullName, f));
                else skipped.Add(rel);
            }
        }
        dirs.Sort(StringComparer.Ordinal);
        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return new LocalTree(full, true, dirs, files, kept, skipped);
    }

    static Entry EntryOf(string rel, string path, FileInfo f) => new(rel, path, f.Length, File.GetUnixFileMode(f.FullName), f.LastWriteTimeUtc);

    static string Real(string dir)
    {
        try { return new DirectoryInfo(dir).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(dir); }
        catch (IOException) { return dir; }
    }

    static bool IsSpecial(string path) => Resh.Core.Platform.Posix.Stat(path, follow: true, out _) is { } st && !st.IsRegular;

    public static string Sha256(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
    }
}
