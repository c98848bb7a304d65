using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.User;

/// <summary>The system whose accounts a call manages: the running one (root=/) or an image/chroot below a directory.</summary>
public sealed record UserRoot(string Path)
{
    public static readonly Arg<string?> Arg = Resh.Core.Model.Arg.String("root",
        "Manage the accounts of the system below this directory (a chroot or image): the tools run with --root, files are read there.", "/",
        examples: ["/mnt/image"], path: Resh.Core.Model.PathUse.Read);

    public static UserRoot From(VerbContext ctx)
    {
        var raw = ctx.Get(Arg) ?? "/";
        if (raw.Length == 0 || raw.Contains('\n') || raw.Contains('\0')) throw ReshError.Usage("root must be a directory path.", null).ToException();
        var full = System.IO.Path.GetFullPath(raw);
        if (full != "/" && !Directory.Exists(full)) throw ReshError.NotFound($"root {full} is not a directory.", "Give the directory that holds the system's /etc.").ToException();
        if (full != "/" && !System.IO.File.Exists(System.IO.Path.Combine(full, "etc/passwd")))
            throw ReshError.NotFound($"{full}/etc/passwd does not exist: not a system root.", "Give the directory that holds the system's /etc.").ToException();
        return new UserRoot(full.Length > 1 ? full.TrimEnd('/') : full);
    }

    public bool IsHost => Path == "/";
    public string File(string absolute) => IsHost ? absolute : Path + absolute;
    public string Passwd => File("/etc/passwd");
    public string Group => File("/etc/group");
    public string Shadow => File("/etc/shadow");
    public string LoginDefs => File("/etc/login.defs");
    public string SudoersD => File("/etc/sudoers.d");
    public string Sudoers => File("/etc/sudoers");
    public string LastLog => File("/var/log/lastlog");

    /// <summary>
    /// Opens a directory of this system by its absolute path there (a home from its passwd, /etc/sudoers.d), or null
    /// when it does not exist. In an image every component is opened below the image's root with O_NOFOLLOW, so a
    /// symbolic link or ".." in the image can never lead onto the host; on the running system the parent path is the
    /// admin's and is followed, the directory itself (a user's home) must not be a symbolic link.
    /// </summary>
    public Resh.Core.Platform.DirHandle? OpenDir(string absolute)
    {
        var rel = absolute.Trim('/');
        try
        {
            if (!IsHost)
            {
                if (rel.Length == 0) return Resh.Core.Platform.DirHandle.Open(Path);
                if (!Resh.Core.Platform.DirHandle.IsPlainRelative(rel))
                    throw ReshError.Conflict($"{absolute} is not a plain path inside {Path}; resh does not leave the image.", "Fix the path in the image's files.").ToException();
                using var top = Resh.Core.Platform.DirHandle.Open(Path);
                return top.OpenBeneath(rel, create: false);
            }
            var full = System.IO.Path.GetFullPath("/" + rel);
            if (full == "/") return Resh.Core.Platform.DirHandle.Open("/");
            var parent = System.IO.Path.GetDirectoryName(full)!;
            if (!Directory.Exists(parent)) return null;
            using var p = Resh.Core.Platform.DirHandle.Open(parent);
            return p.OpenBeneath(System.IO.Path.GetFileName(full), create: false);
        }
        catch (IOException e) { throw Refused(e, absolute).ToException(); }
    }

    /// <summary>The envelope for a failed descriptor walk: no access is permission_denied, a link or a file on the way a conflict.</summary>
    public static ReshError Refused(IOException e, string path) => e.HResult switch
    {
        13 or 1 => ReshError.PermissionDenied($"{path}: permission denied.", "Run resh as root (or as the owner)."),
        _ => ReshError.Conflict(e.Message, "Replace the symbolic link (or file) with a real directory; resh does not follow links there."),
    };
}
