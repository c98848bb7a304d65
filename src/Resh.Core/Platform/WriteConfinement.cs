using Resh.Core.Errors;

namespace Resh.Core.Platform;

/// <summary>
/// Where a call may write, as a surface that confines its callers decides it (resh mcp's --allow/--deny target
/// patterns): the surface checks a path argument before the call, but the file system can change between that check
/// and the write (a symlink flipped by whoever owns a directory on the way). Writers that resolve a caller-named path
/// to a directory descriptor (<see cref="SafePath"/>) ask here once they hold it, with the kernel's name of that
/// descriptor plus the final name: what is checked is what is written, since every later step goes through the
/// descriptor. Without a surface's check (the CLI, batch) nothing is refused. The check flows with the call (async-local).
/// </summary>
public static class WriteConfinement
{
    static readonly AsyncLocal<Func<string, ReshError?>?> Current = new();

    /// <summary>Whether a check is in force for this call.</summary>
    public static bool Active => Current.Value is not null;

    /// <summary>Puts <paramref name="check"/> (the absolute path written -> why not, or null) in force until the scope ends; null: none.</summary>
    public static Scope Enter(Func<string, ReshError?>? check)
    {
        var previous = Current.Value;
        Current.Value = check;
        return new Scope(previous);
    }

    public readonly struct Scope(Func<string, ReshError?>? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }

    /// <summary>
    /// Why writing <paramref name="name"/> in the directory <paramref name="dirFd"/> is refused, or null. The directory's
    /// path is the kernel's (/proc/self/fd), so no symlink on the way can make it differ from where the write lands.
    /// </summary>
    public static ReshError? Check(int dirFd, string name)
    {
        if (Current.Value is not { } check) return null;
        if (Posix.DescriptorPath(dirFd) is not { } dir)
            return ReshError.PermissionDenied("The directory this call would write into cannot be named (it was removed meanwhile), so this server's path patterns cannot check it; nothing was written.",
                "Call it again once the directory exists.");
        var full = name is "." or "" ? dir : dir == "/" ? "/" + name : dir + "/" + name;
        return check(full);
    }

    /// <summary>As <see cref="Check"/>, thrown.</summary>
    public static void Enforce(int dirFd, string name)
    {
        if (Check(dirFd, name) is { } refused) throw refused.ToException();
    }
}
