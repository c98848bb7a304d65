using System.IO.Compression;
using System.Text.RegularExpressions;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Log;

/// <summary>One file of a log source: its path as given (or found by a glob), and whether it is compressed (.gz or .zst).</summary>
public sealed record LogFile(string Path, bool Compressed, long Size, DateTimeOffset Modified)
{
    public LogFile(string path, long size, DateTimeOffset modified) : this(path, LogCompressions.Of(path) != LogCompression.None, size, modified) { }
}

/// <summary>How a rotated copy is compressed, told by its name's suffix.</summary>
public enum LogCompression { None, Gzip, Zstd }

public static class LogCompressions
{
    public static string Suffix(this LogCompression c) => c switch { LogCompression.Gzip => ".gz", LogCompression.Zstd => ".zst", _ => "" };

    public static LogCompression Of(string name) =>
        name.EndsWith(".gz", StringComparison.Ordinal) ? LogCompression.Gzip : name.EndsWith(".zst", StringComparison.Ordinal) ? LogCompression.Zstd : LogCompression.None;

    /// <summary>The name without its compression suffix.</summary>
    public static string Strip(string name) => name[..^LogCompressions.Of(name).Suffix().Length];
}

/// <summary>
/// The files behind a file target: one path, or a glob in its last component (`/var/log/nginx/*.log`), each with
/// its rotated siblings when asked (`syslog.1`, `syslog.2.gz`, `app.log.3.zst`, `syslog-20261201.gz`), oldest first.
/// </summary>
public static partial class LogFiles
{
    public static IReadOnlyList<LogFile> Resolve(string path, bool rotated)
    {
        var dir = System.IO.Path.GetDirectoryName(path) ?? "/";
        var name = System.IO.Path.GetFileName(path);
        if (name.Length == 0) throw ReshError.Usage($"{path} names a directory.", "Name a log file or a glob: log:///var/log/nginx/*.log").ToException();
        if (dir.IndexOfAny(['*', '?', '[']) >= 0)
            throw ReshError.Usage("Only the last part of a log path may hold a glob.", "Example: log:///var/log/nginx/*.log").ToException();
        var names = new List<string>();
        bool glob = name.IndexOfAny(['*', '?', '[']) >= 0;
        if (!glob) names.Add(name);
        else
        {
            if (!Directory.Exists(dir)) throw ReshError.NotFound($"The directory {dir} does not exist.", "Check the path of the glob.").ToException();
            names = GlobMatches(dir, name);
            if (names.Count == 0) throw ReshError.NotFound($"No file in {dir} matches {name}.", "List the directory: resh file://" + dir + ".list").ToException();
        }

        var files = new List<LogFile>();
        foreach (var n in names)
        {
            if (rotated) files.AddRange(Siblings(dir, n));
            var full = System.IO.Path.Combine(dir, n);
            var st = Posix.Stat(full, true, out var errno);
            if (st is null)
            {
                if (rotated && files.Count > 0) continue; // only rotated copies are left
                throw Missing(full, errno);
            }
            if (st.Value.IsDirectory) throw ReshError.Usage($"{full} is a directory.", $"Give a file or a glob: log://{full}/*.log").ToException();
            // A symlinked log is read where it leads, and named so: the result shows which file was really read.
            if (Posix.Stat(full, false, out _) is { IsSymlink: true } && new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } real) full = real.FullName;
            files.Add(new LogFile(full, st.Value.Size, st.Value.ModifyTime));
        }
        return files;
    }

    public static ReshException Missing(string path, int errno) => errno == Posix.EACCES
        ? ReshError.PermissionDenied($"This user may not read {path}.", "Run as a user who may (root, or a member of the adm group for /var/log).").ToException()
        : ReshError.NotFound($"{path} does not exist.", "Check the path; with rotated=true its rotated copies are read too.").ToException();

    /// <summary>NAME.1, NAME.2.gz, NAME-20261201.zst ...: a rotated copy, not a live log.</summary>
    public static bool IsRotatedCopy(string name) => RotatedSuffix().IsMatch(name);

    /// <summary>The file names in <paramref name="dir"/> a glob matches, rotated copies left out, in ordinal order (read and follow share it).</summary>
    public static List<string> GlobMatches(string dir, string pattern)
    {
        var names = new List<string>();
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            var n = System.IO.Path.GetFileName(f);
            if (Resh.Core.Text.Glob.Matches(pattern, n) && !IsRotatedCopy(n)) names.Add(n);
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    [GeneratedRegex(@"(\.\d+(\.gz|\.zst)?|-\d{8}(\.gz|\.zst)?|\.gz|\.zst)$", RegexOptions.CultureInvariant)]
    private static partial Regex RotatedSuffix();

    /// <summary>NAME.1, NAME.2.gz, NAME.3.zst ... (highest number first) and NAME-YYYYMMDD[.gz] (oldest date first): the order they were written in.</summary>
    static IEnumerable<LogFile> Siblings(string dir, string name)
    {
        if (!Directory.Exists(dir)) yield break;
        var numbered = new List<(long N, string Path)>();
        var dated = new List<(string D, string Path)>();
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            var n = System.IO.Path.GetFileName(f);
            if (n.Length <= name.Length + 1 || !n.StartsWith(name, StringComparison.Ordinal)) continue;
            var rest = n[name.Length..];
            var core = LogCompressions.Strip(rest);
            if (core.Length > 1 && core[0] == '.' && long.TryParse(core.AsSpan(1), System.Globalization.NumberStyles.None, null, out var num)) numbered.Add((num, f));
            else if (core.Length == 9 && core[0] == '-' && core.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0) dated.Add((core, f));
        }
        foreach (var (_, p) in dated.OrderBy(d => d.D, StringComparer.Ordinal).Concat(numbered.OrderByDescending(x => x.N).Select(x => (x.N.ToString(), x.Path))))
        {
            var st = Posix.Stat(p, true, out _);
            if (st is { IsRegular: true } s) yield return new LogFile(p, s.Size, s.ModifyTime);
        }
    }

    /// <summary>Opens a file for reading (following a symlink, as any reader does; the result names the file it reached).</summary>
    public static Stream Open(LogFile file, long maxUnzipped)
    {
        var handle = Posix.OpenHandle(Posix.AT_FDCWD, file.Path, Posix.O_RDONLY | Posix.O_CLOEXEC, 0, out var errno);
        if (handle is null) throw Missing(file.Path, errno);
        var st = Posix.FStat((int)handle.DangerousGetHandle(), out _);
        if (st is { IsRegular: false, IsDirectory: false } && st.Value.FileType != 0x1000 /* FIFO */)
        {
            handle.Dispose();
            throw ReshError.Usage($"{file.Path} is a {st.Value.TypeName}, not a log file.", "Give a regular file (or a pipe).").ToException();
        }
        Posix.AdviseSequential((int)handle.DangerousGetHandle());
        Stream stream = new FileStream(handle, FileAccess.Read, 0);
        return LogCompressions.Of(file.Path) switch
        {
            LogCompression.Gzip => new BoundedStream(new GZipStream(stream, CompressionMode.Decompress), maxUnzipped, file.Path),
            LogCompression.Zstd => new BoundedStream(new ZstdSharp.DecompressionStream(stream), maxUnzipped, file.Path),
            _ => stream,
        };
    }
}

/// <summary>Thrown when a compressed file decompresses to more than the limit (a gzip bomb, or just too big).</summary>
public sealed class UnzipLimitException(string path, long limit) : Exception($"{path} decompresses to more than {limit} bytes.")
{
    public string Path { get; } = path;
    public long Limit { get; } = limit;
}

/// <summary>A read-only stream that stops with <see cref="UnzipLimitException"/> past a number of bytes.</summary>
sealed class BoundedStream(Stream inner, long limit, string path) : Stream
{
    long _read;

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, count);
        _read += n;
        if (_read > limit) throw new UnzipLimitException(path, limit);
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
