using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>The parent directories a new file needs: checked, and created (mkdir -p) when asked.</summary>
internal static class FileParents
{
    /// <summary>
    /// Makes sure the directory holding <paramref name="path"/> exists. Returns the directories created
    /// (or, under --dry-run, that would be), outermost first.
    /// </summary>
    public static IReadOnlyList<string> Ensure(VerbContext ctx, string path, bool create)
    {
        var parent = Path.GetDirectoryName(path);
        if (parent is null) return [];
        var missing = Missing(parent);
        if (missing.Count == 0) return [];
        if (!create)
            throw ReshError.NotFound($"The directory {parent} does not exist.", "Pass parents=true to create missing parent directories.",
                new JsonObject { ["path"] = path, ["missing"] = missing[0] }).ToException();
        if (!ctx.DryRun)
            foreach (var dir in missing)
            {
                var errno = Mkdir(dir, 0x1FF); // 0777 minus the umask, as mkdir -p does
                if (errno != 0 && errno != FileNative.EEXIST) throw FileErrors.Throw(errno, dir, "create the directory");
            }
        return missing;
    }

    /// <summary>The directories from the first missing ancestor down to <paramref name="dir"/>; a non-directory in the way is an error.</summary>
    /// <summary>
    /// mkdir(2) of a missing parent (errno or 0); under a surface's path patterns made in its own parent as opened and
    /// judged (PathConfinement, mkdirat), so a symlink swapped on the way cannot create it elsewhere.
    /// </summary>
    public static int Mkdir(string dir, uint mode)
    {
        using var parent = PathConfinement.Parent(dir, PathAct.Write, f => WriteTarget.Error(dir, f, "create the directory"));
        return parent is null ? FileNative.Mkdir(dir, mode) : Posix.MkdirAt(parent.DirFd, parent.Name, mode);
    }

    public static List<string> Missing(string dir)
    {
        var missing = new List<string>();
        var current = dir;
        while (current is not null)
        {
            var st = Posix.Stat(current, true, out var errno);
            if (st is { } s)
            {
                if (!s.IsDirectory)
                    throw ReshError.Usage($"{current} is a {s.TypeName}, not a directory.", "A parent of the path must be a directory.",
                        new JsonObject { ["path"] = current }).ToException();
                break;
            }
            if (errno != FileNative.ENOENT) throw FileErrors.Throw(errno, current, "look up");
            missing.Add(current);
            current = Path.GetDirectoryName(current);
        }
        missing.Reverse();
        return missing;
    }
}
