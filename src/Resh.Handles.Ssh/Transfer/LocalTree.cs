using System.Security.Cryptography;
using Resh.Core.Errors;

namespace Resh.Handles.Ssh.Transfer;

/// <summary>A local file or directory tree to send: regular files and directories; symlinks and special files are skipped.</summary>
public sealed record LocalTree(string Root, bool IsDirectory, IReadOnlyList<string> Dirs, IReadOnlyList<LocalTree.Entry> Files, IReadOnlyList<string> Skipped)
{
    public sealed record Entry(string Relative, string FullPath, long Size, UnixFileMode Mode);

    public static LocalTree Scan(string path)
    {
        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (info.Exists && info.LinkTarget is null)
            return new LocalTree(full, false, [], [new Entry("", full, info.Length, File.GetUnixFileMode(full))], []);
        var dir = new DirectoryInfo(full);
        if (!dir.Exists)
            throw ReshError.NotFound($"{full} does not exist.", "Check the local path.").ToException();
        var dirs = new List<string>();
        var files = new List<Entry>();
        var skipped = new List<string>();
        var pending = new Stack<DirectoryInfo>();
        pending.Push(dir);
        while (pending.Count > 0)
        {
            var d = pending.Pop();
            foreach (var e in d.EnumerateFileSystemInfos().OrderBy(x => x.Name, StringComparer.Ordinal))
            {
                var rel = Path.GetRelativePath(full, e.FullName);
                if (rel.Contains('\n') || rel.Contains('\r')) { skipped.Add(rel); continue; }
                if (e.LinkTarget is not null) { skipped.Add(rel); continue; }
                if (e is DirectoryInfo sub) { dirs.Add(rel); pending.Push(sub); }
                else if (e is FileInfo f && (File.GetAttributes(f.FullName) & FileAttributes.Device) == 0 && !IsSpecial(f.FullName)) files.Add(new Entry(rel, f.FullName, f.Length, File.GetUnixFileMode(f.FullName)));
                else skipped.Add(rel);
            }
        }
        dirs.Sort(StringComparer.Ordinal);
        return new LocalTree(full, true, dirs, files, skipped);
    }

    static bool IsSpecial(string path) => Resh.Core.Platform.Posix.Stat(path, follow: false, out _) is { } st && !st.IsRegular;

    public static string Sha256(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
    }
}
