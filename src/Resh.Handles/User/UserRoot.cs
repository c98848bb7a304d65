using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.User;

/// <summary>The system whose accounts a call manages: the running one (root=/) or an image/chroot below a directory.</summary>
public sealed record UserRoot(string Path)
{
    public static readonly Arg<string?> Arg = Resh.Core.Model.Arg.String("root",
        "Manage the accounts of the system below this directory (a chroot or image): the tools run with --root, files are read there.", "/",
        examples: ["/mnt/image"]);

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
}
