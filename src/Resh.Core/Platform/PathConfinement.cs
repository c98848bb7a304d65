using Microsoft.Win32.SafeHandles;
using Resh.Core.Errors;

namespace Resh.Core.Platform;

/// <summary>What a verb does to a path a surface's patterns judge.</summary>
public enum PathAct
{
    /// <summary>Reads the file's content or metadata (file.read, http body=@FILE).</summary>
    Read,
    /// <summary>Creates, replaces or changes the file (a write, a link, a rename's destination).</summary>
    Write,
    /// <summary>Removes the name (a delete, a rename's source).</summary>
    Delete,
}

/// <summary>
/// Where a call may act, as a surface that confines its callers decides it (resh mcp's --allow/--deny target patterns,
/// resh serve's roles): the surface checks a path argument by name before the call, but the file system can change
/// between that check and the act (a symlink flipped by whoever owns a directory on the way). Code that acts on a
/// caller-named path resolves it to a descriptor first (<see cref="SafePath"/>, openat with O_NOFOLLOW) and asks here
/// with the kernel's name of that descriptor (/proc/self/fd) plus the final name; every later step goes through the
/// descriptor (openat, unlinkat, renameat, symlinkat, read on the fd), so what is checked is what is acted on.
/// Without a surface's check (the CLI, batch) nothing is refused and nothing costs. The check flows with the call
/// (async-local); the paths it judged are kept for the call's audit record.
/// </summary>
public static class PathConfinement
{
    sealed class State(Func<PathAct, string, ReshError?> check)
    {
        public readonly Func<PathAct, string, ReshError?> Check = check;
        public readonly List<string> Acted = [];
    }

    static readonly AsyncLocal<State?> Current = new();

    /// <summary>Whether a check is in force for this call.</summary>
    public static bool Active => Current.Value is not null;

    /// <summary>Puts <paramref name="check"/> (act, absolute kernel path -> why not, or null) in force until the scope ends; null: none.</summary>
    public static Scope Enter(Func<PathAct, string, ReshError?>? check)
    {
        var previous = Current.Value;
        Current.Value = check is null ? null : new State(check);
        return new Scope(previous);
    }

    public readonly struct Scope(object? previous) : IDisposable
    {
        public void Dispose() => Current.Value = (State?)previous;
    }

    /// <summary>The kernel paths this call's acts were judged on so far (for its audit record); empty without a check.</summary>
    public static IReadOnlyList<string> Acted
    {
        get
        {
            if (Current.Value is not { } s) return [];
            lock (s.Acted) return s.Acted.ToArray();
        }
    }

    static ReshError? Judge(PathAct act, string full)
    {
        var s = Current.Value!;
        var refused = s.Check(act, full);
        if (refused is null) lock (s.Acted) if (!s.Acted.Contains(full)) s.Acted.Add(full);
        return refused;
    }

    static string Verb(PathAct act) => act switch { PathAct.Read => "read", PathAct.Delete => "removed", _ => "written" };

    /// <summary>
    /// Why acting on <paramref name="name"/> in the directory <paramref name="dirFd"/> is refused, or null. The directory's
    /// path is the kernel's (/proc/self/fd), so no symlink on the way can make it differ from where the act lands.
    /// </summary>
    public static ReshError? Check(PathAct act, int dirFd, string name)
    {
        if (Current.Value is null) return null;
        if (Posix.DescriptorPath(dirFd) is not { } dir)
            return ReshError.PermissionDenied($"The directory this call acts in cannot be named (it was removed meanwhile), so this server's path patterns cannot check it; nothing was {Verb(act)}.",
                "Call it again once the directory exists.");
        return Judge(act, name is "." or "" ? dir : dir == "/" ? "/" + name : dir + "/" + name);
    }

    /// <summary>As <see cref="Check(PathAct, int, string)"/> for a descriptor of the file itself (its kernel name).</summary>
    public static ReshError? CheckFile(PathAct act, int fd)
    {
        if (Current.Value is null) return null;
        if (Posix.DescriptorPath(fd) is not { } path)
            return ReshError.PermissionDenied($"The file this call would act on cannot be named (it was removed meanwhile), so this server's path patterns cannot check it; nothing was {Verb(act)}.",
                "Call it again once the file exists.");
        return Judge(act, path);
    }

    /// <summary>As <see cref="Check(PathAct, int, string)"/> without keeping the path for the audit (nothing is acted on there).</summary>
    static ReshError? Refuses(PathAct act, int dirFd, string name)
    {
        if (Current.Value is not { } s) return null;
        if (Posix.DescriptorPath(dirFd) is not { } dir)
            return ReshError.PermissionDenied($"The directory this call acts in cannot be named (it was removed meanwhile), so this server's path patterns cannot check it; nothing was {Verb(act)}.",
                "Call it again once the directory exists.");
        return s.Check(act, name is "." or "" ? dir : dir == "/" ? "/" + name : dir + "/" + name);
    }

    /// <summary>
    /// Under a check: the directory holding <paramref name="path"/>'s final name (not followed), judged for a read of that
    /// name, for verbs that look at the name itself (lstat, readlink). Null without a check. A resolution that fails is a
    /// null result with <paramref name="errno"/> (where it stopped judged first: a refusal is thrown, not an errno).
    /// </summary>
    public static ResolvedPath? ParentForRead(string path, out int errno, out bool confined)
    {
        errno = 0;
        confined = Current.Value is not null;
        if (!confined) return null;
        var full = Path.GetFullPath(path);
        var resolved = SafePath.Resolve(full, followFinal: false, out var failure);
        if (resolved is null)
        {
            if (Current.Value!.Check(PathAct.Read, failure.At) is { } outside) throw outside.ToException();
            errno = failure.Errno;
            return null;
        }
        if (Check(PathAct.Read, resolved.DirFd, resolved.Name) is { } refused)
        {
            resolved.Dispose();
            throw refused.ToException();
        }
        return resolved;
    }

    /// <summary>As <see cref="Check(PathAct, int, string)"/>, thrown.</summary>
    public static void Enforce(PathAct act, int dirFd, string name)
    {
        if (Check(act, dirFd, name) is { } refused) throw refused.ToException();
    }

    /// <summary>
    /// Under a check: the directory holding <paramref name="path"/>'s final name, resolved through descriptors (symlinks on
    /// the way followed by resh, the final one not), judged for <paramref name="act"/> on the kernel's name. Act on it
    /// relative to <see cref="ResolvedPath.DirFd"/> only. Null without a check (act by path as ever). Throws the refusal, or
    /// the resolution's failure as an IOException-like error through <paramref name="fail"/>.
    /// </summary>
    public static ResolvedPath? Parent(string path, PathAct act, Func<SafePath.Failure, ReshError> fail)
    {
        if (Current.Value is null) return null;
        var full = Path.GetFullPath(path);
        var resolved = SafePath.Resolve(full, followFinal: false, out var failure) ?? throw fail(failure).ToException();
        if (Check(act, resolved.DirFd, resolved.Name) is { } refused)
        {
            resolved.Dispose();
            throw refused.ToException();
        }
        return resolved;
    }

    /// <summary>
    /// Under a check: <paramref name="path"/> opened for reading (<paramref name="flags"/>, O_RDONLY by default) through
    /// descriptors, every symlink followed by resh and the file itself opened with O_NOFOLLOW, then judged as a read on
    /// the kernel's name of the open file; read from the handle only. Null without a check (open by path as ever).
    /// A failure to open is a null handle with <paramref name="errno"/> and <paramref name="confined"/> true.
    /// </summary>
    public static SafeFileHandle? OpenRead(string path, int flags, out int errno, out bool confined)
    {
        errno = 0;
        confined = Current.Value is not null;
        if (!confined) return null;
        var full = Path.GetFullPath(path);
        using var resolved = SafePath.Resolve(full, followFinal: true, out var failure);
        if (resolved is null)
        {
            // Where the resolution stopped is judged too, so a link to outside cannot tell whether a name exists there.
            if (Current.Value!.Check(PathAct.Read, failure.At) is { } outside) throw outside.ToException();
            errno = failure.Errno;
            return null;
        }
        var handle = Posix.OpenHandle(resolved.DirFd, resolved.Name, flags | Posix.O_NOFOLLOW | Posix.O_NOCTTY, 0, out errno);
        if (handle is null)
        {
            if (Refuses(PathAct.Read, resolved.DirFd, resolved.Name) is { } outside) throw outside.ToException();
            return null;
        }
        if (CheckFile(PathAct.Read, (int)handle.DangerousGetHandle()) is { } refused)
        {
            handle.Dispose();
            throw refused.ToException();
        }
        return handle;
    }
}
