using System.Text;
using Microsoft.Win32.SafeHandles;
using Resh.Core.Platform;
using Resh.Handles.Sys;

namespace Resh.Handles.Template.Engine;

/// <summary>
/// Reads and parses template files, each once per render. Names resolve against the including file's directory,
/// then the root; a name that leaves the root (.., an absolute path, a symlink pointing out) is refused, and only
/// regular files are read (opened O_NONBLOCK|O_NOFOLLOW on the resolved path, then checked with fstat: a FIFO does not hang).
/// </summary>
internal sealed class Loader(string root, LexOptions options, long maxFileBytes)
{
    readonly Dictionary<string, ParsedTemplate> _cache = new(StringComparer.Ordinal);
    readonly string _rootReal = RealOrSelf(root);

    public string Root => _rootReal;
    public LexOptions Options => options;

    /// <summary>Every file read so far (for validate and vars).</summary>
    public IEnumerable<ParsedTemplate> Loaded => _cache.Values;

    /// <summary>The template the caller named (it may lie outside the root only when the root was not given).</summary>
    public ParsedTemplate LoadTop(string path)
    {
        path = Path.GetFullPath(path);
        // Resolved by descriptors under the fs.protected_symlinks rule (a link another user planted in a sticky
        // directory is refused, whatever the sysctl says); a symlink may not lead out of the directory the path names.
        using var resolved = SafePath.Resolve(path, followFinal: true, out var failure);
        if (resolved is null)
        {
            if (failure.RefusedLink is { } link)
                throw new TemplateError($"Refusing to follow the symlink {link}: it sits in a sticky world-writable directory and belongs to another user (the fs.protected_symlinks rule).", null,
                    "Check who planted it; name the real template file.", "permission_denied");
            throw OpenError(failure.Errno, path, null);
        }
        var real = resolved.FullPath;
        var named = RealOrSelf(Path.GetDirectoryName(path)!);
        if (resolved.ViaSymlink && !real.StartsWith(named == "/" ? "/" : named + "/", StringComparison.Ordinal))
            throw new TemplateError($"{path} is a symlink to {real}, outside its directory {named}.", null,
                "Name the real template file; a template may not be a link out of its directory.", "permission_denied");
        if (_cache.TryGetValue(real, out var cached)) return cached;
        var fd = Posix.OpenAt(resolved.DirFd, resolved.Name, Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_NOFOLLOW | Posix.O_CLOEXEC);
        var display = Display(real);
        if (fd < 0) throw OpenError(-fd, display, null);
        var parsed = new ParsedTemplate(real, display, Parser.Parse(ReadFd(fd, display, null, maxFileBytes), display, options));
        _cache[real] = parsed;
        return parsed;
    }

    /// <summary>The display name of a template given as text (inline=) instead of a file.</summary>
    public const string InlineName = "<inline>";

    /// <summary>A template given as text: its includes, extends and imports resolve below the root.</summary>
    public ParsedTemplate LoadInline(string text)
    {
        if (text.Length > maxFileBytes)
            throw new TemplateError($"inline= is {text.Length} characters, more than the {maxFileBytes}-byte limit for a template.", null, "A template is not a data set: pass data in vars.");
        if (text.Contains('\0')) throw new TemplateError("inline= holds a NUL character.", null, "Give the template as text.");
        var parsed = new ParsedTemplate(Path.Combine(_rootReal, InlineName), InlineName, Parser.Parse(text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text, InlineName, options));
        _cache["\0" + InlineName] = parsed; // not a path any file can have
        return parsed;
    }

    /// <summary>
    /// Opens <paramref name="full"/> (inside the root) by walking from a descriptor of the root, one component at a
    /// time with O_NOFOLLOW: a symlink met on the way is read by descriptor and followed only when it stays inside the
    /// root and the fs.protected_symlinks rule allows it, so swapping a directory for a link cannot lead out.
    /// </summary>
    int OpenBeneath(string full, string name, Loc at)
    {
        var euid = LibC.GetEUid();
        int links = 0;
        restart:
        var rel = full == _rootReal ? "" : _rootReal == "/" ? full.TrimStart('/') : full[(_rootReal.Length + 1)..];
        var parts = rel.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int cur = Posix.OpenAt(Posix.AT_FDCWD, _rootReal, Posix.O_PATH | Posix.O_DIRECTORY | Posix.O_CLOEXEC);
        if (cur < 0) throw OpenError(-cur, _rootReal, at);
        try
        {
            for (int i = 0; i < parts.Length; i++)
            {
                bool last = i == parts.Length - 1;
                var st = Posix.StatAt(cur, parts[i], follow: false, out var errno);
                if (st is { IsSymlink: true } link)
                {
                    var here = _rootReal == "/" ? "/" + string.Join('/', parts[..(i + 1)]) : _rootReal + "/" + string.Join('/', parts[..(i + 1)]);
                    if (++links > 40) throw OpenError(Posix.ELOOP, name, at);
                    if (Posix.FStat(cur, out _) is { } dir && SafePath.Refused(dir, link, euid))
                        throw new TemplateError($"Refusing to follow the symlink {here}: it sits in a sticky world-writable directory and belongs to another user (the fs.protected_symlinks rule).", at,
                            "Check who planted it.", "permission_denied");
                    var target = Posix.ReadLinkAt(cur, parts[i], out errno) ?? throw OpenError(errno, name, at);
                    var next = Path.GetFullPath(target.StartsWith('/') ? target : Path.Combine(Path.GetDirectoryName(here)!, target));
                    if (!last) next = Path.Combine(next, string.Join('/', parts[(i + 1)..]));
                    if (!Inside(next))
                        throw new TemplateError($"'{name}' is a symlink to {next}, outside the template root {_rootReal}.", at,
                            "Templates may include files below the root only; pass root= to widen it.", "permission_denied");
                    full = next;
                    Posix.Close(cur);
                    cur = -1;
                    goto restart;
                }
                var fd = last
                    ? Posix.OpenAt(cur, parts[i], Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_NOFOLLOW | Posix.O_CLOEXEC)
                    : Posix.OpenAt(cur, parts[i], Posix.O_PATH | Posix.O_DIRECTORY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC);
                if (fd < 0)
                {
                    throw OpenError(-fd, name, at); // ELOOP/ENOTDIR: swapped for a link since the look: refused
                }
                if (last) return fd;
                Posix.Close(cur);
                cur = fd;
            }
            throw new TemplateError($"'{name}' names the template root, a directory.", at, "Name a file.");
        }
        finally
        {
            if (cur >= 0) Posix.Close(cur);
        }
    }

    static TemplateError OpenError(int errno, string display, Loc? at) => errno switch
    {
        2 or 20 => new TemplateError($"{display} does not exist.", at, "Check the path.", "not_found"),
        13 or 1 => new TemplateError($"{display} cannot be read: permission denied.", at, "Run as a user who may read it.", "permission_denied"),
        40 => new TemplateError($"{display} is a symlink that changed while it was opened.", at, null, "permission_denied"),
        _ => new TemplateError($"{display} cannot be opened: {Posix.StrError(errno)}.", at, null, "failed"),
    };

    public ParsedTemplate Load(string name, ParsedTemplate from, Loc at)
    {
        if (name.Length == 0 || name.Contains('\0'))
            throw new TemplateError("A template name is empty or holds a NUL byte.", at);
        var candidates = name.StartsWith('/') ? [name] : new[] { Path.Combine(Path.GetDirectoryName(from.Path)!, name), Path.Combine(_rootReal, name) };
        foreach (var c in candidates.Distinct())
        {
            var full = Path.GetFullPath(c);
            if (!Inside(full))
                throw new TemplateError($"'{name}' resolves to {full}, outside the template root {_rootReal}.", at,
                    "Templates may include files below the root only; pass root= to widen it.", "permission_denied");
            var real = RealPath.Resolve(full, out var errno);
            if (real is null)
            {
                if (errno is 2 or 20) continue; // ENOENT, ENOTDIR: try the next place
                throw new TemplateError($"Cannot resolve '{name}': {Posix.StrError(errno)}.", at, null, errno == 13 ? "permission_denied" : "failed");
            }
            if (!Inside(real))
                throw new TemplateError($"'{name}' is a symlink to {real}, outside the template root {_rootReal}.", at,
                    "Templates may include files below the root only; pass root= to widen it.", "permission_denied");
            if (_cache.TryGetValue(real, out var cached)) return cached;
            var fd = OpenBeneath(full, name, at);
            var parsed = new ParsedTemplate(real, Display(real), Parser.Parse(ReadFd(fd, Display(real), at, maxFileBytes), Display(real), options));
            _cache[real] = parsed;
            return parsed;
        }
        throw new TemplateError($"Template '{name}' not found (looked in {Display(Path.GetDirectoryName(from.Path)!)}/ and the root {_rootReal}).", at,
            "Check the name; include, extends and import resolve against the including file's directory, then the root.", "not_found");
    }

    bool Inside(string full) => _rootReal == "/" || full == _rootReal || full.StartsWith(_rootReal + "/", StringComparison.Ordinal);

    public string Display(string real) =>
        real.StartsWith(_rootReal + "/", StringComparison.Ordinal) ? real[(_rootReal.Length + 1)..] : real;

    static string RealOrSelf(string path) => RealPath.Resolve(path, out _) ?? Path.GetFullPath(path);

    /// <summary>A regular file's UTF-8 text (BOM dropped); the open cannot block on a FIFO or follow a last-moment symlink.</summary>
    public static string ReadText(string path, string display, Loc? at, long max)
    {
        var fd = Posix.OpenAt(Posix.AT_FDCWD, path, Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_NOFOLLOW | Posix.O_CLOEXEC);
        if (fd < 0) throw OpenError(-fd, display, at);
        return ReadFd(fd, display, at, max);
    }

    /// <summary>The text of an open descriptor (taken over and closed): a regular file of at most max bytes, UTF-8.</summary>
    static string ReadFd(int fd, string display, Loc? at, long max)
    {
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        // Under a surface's path patterns every template file read (the top one, includes, imports) is judged on the
        // kernel's name of the open descriptor it is read from (PathConfinement).
        if (PathConfinement.CheckFile(PathAct.Read, fd) is { } refused) throw refused.ToException();
        var st = Posix.FStat(fd, out var serr) ?? throw new TemplateError($"{display} cannot be examined: {Posix.StrError(serr)}.", at, null, "failed");
        if (st.IsDirectory) throw new TemplateError($"{display} is a directory, not a template file.", at, "Name a file.");
        if (!st.IsRegular) throw new TemplateError($"{display} is a {st.TypeName}, not a regular file.", at, "Templates must be regular files.");
        if (st.Size > max) throw new TemplateError($"{display} is {st.Size} bytes, more than the {max}-byte limit for a template.", at, "A template is not a data set: pass data in vars.");
        // Read to the end, not to the size stat reports: files of /proc and /sys say 0 bytes and have text (s36 user: a
        // template there rendered empty, with no error).
        var bytes = new byte[(int)Math.Min(Math.Max(st.Size + 1, 4096), max + 1)];
        int n = 0;
        while (true)
        {
            if (n == bytes.Length)
            {
                if (n > max) throw new TemplateError($"{display} is more than the {max}-byte limit for a template.", at, "A template is not a data set: pass data in vars.");
                Array.Resize(ref bytes, (int)Math.Min((long)bytes.Length * 2, max + 1));
            }
            int r = RandomAccess.Read(handle, bytes.AsSpan(n), n);
            if (r <= 0) break;
            n += r;
        }
        var span = bytes.AsSpan(0, n);
        if (!System.Text.Unicode.Utf8.IsValid(span) || span.Contains((byte)0))
            throw new TemplateError($"{display} is not UTF-8 text.", at, "Convert it to UTF-8 first (iconv -t UTF-8).");
        return Encoding.UTF8.GetString(span); // a BOM stays, as in Jinja2 and Ansible
    }
}
