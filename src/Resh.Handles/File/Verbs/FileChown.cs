using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileChown
{
    static readonly Arg<string?> Owner = Arg.String("owner", "New owner: user name or numeric uid.", aliases: ["user"]);
    static readonly Arg<string?> Group = Arg.String("group", "New group: group name or numeric gid.");
    static readonly Arg<bool> Recursive = Arg.Bool("recursive", "Apply to everything below a directory too (links themselves, never their targets).");
    static readonly Arg<bool> Follow = Arg.Bool("follow", "When the path is a symlink, change what it points to instead of the link (chown without -h).");
    static readonly Arg<bool> Force = Arg.Bool("force", "Allow a recursive change of /, a top-level directory (/etc, /usr, /var, /boot...) or a home directory.");

    public static readonly VerbInfo Verb = VerbInfo.Define("chown", Effect.Mutate,
        "Change owner and/or group, by name or id; changed only when they differ.",
        [Owner, Group, Recursive, Follow, Force], () => FileJson.Default.FileChownResult, Run,
        examples:
        [
            new("file:///srv/app.chown owner=app group=app recursive=true", "Hand a tree to the app user."),
            new("file:///var/lib/thing.chown group=1001", "Change only the group, by gid."),
        ],
        notes: "Unknown users or groups are `not_found`. Ids are unsigned 32-bit (owner=3000000000 works). Changing the owner needs root (or CAP_CHOWN); otherwise `permission_denied`. " +
               "follow=true follows a symlink under the fs.protected_symlinks rule (see write). A recursive change of /, a top-level directory or a home directory needs force=true.").WithPathConfinement();

    static Outcome<FileChownResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        if (string.IsNullOrWhiteSpace(ctx.Get(Owner)) && string.IsNullOrWhiteSpace(ctx.Get(Group)))
            return ReshError.Usage("chown needs an owner, a group, or both.", "Add owner=NAME and/or group=NAME (names or numeric ids).");
        var who = Ownership.Resolve(ctx.Get(Owner), ctx.Get(Group));
        using var target = WriteTarget.Open(path, ctx.Get(Follow), "change the owner of");
        var root = target.Existing ?? throw FileMetadata.NotFound(path).ToException();
        var recursive = ctx.Get(Recursive);
        if (recursive && root.IsDirectory && !ctx.Get(Force) && DeleteGuard.CheckRecursive(ctx, target.FullPath, root, "change the owner of everything below") is { } refused)
            return refused;

        long changed = 0, checkedCount = 0;
        void Visit(int dirFd, string name, string p, FileStatus st)
        {
            checkedCount++;
            if (!who.Differs(st)) return;
            changed++;
            if (!ctx.DryRun) FileErrors.Check(Posix.FChownAt(dirFd, name, who.UidArg, who.GidArg, follow: false), p, "change the owner of");
        }

        if (recursive && root.IsDirectory)
        {
            foreach (var e in TreeWalk.EnumerateAt(target.DirFd, target.Name, target.FullPath, int.MaxValue, null,
                (where, errno) => throw FileErrors.Throw(errno, where, "read the directory"), ctx.Cancellation))
                Visit(e.DirFd, e.Name, e.Path, e.Stat);
        }
        Visit(target.DirFd, target.Name, path, root);
        uint uid = who.Uid ?? root.Uid, gid = who.Gid ?? root.Gid;
        return Outcome.Changed(new FileChownResult(FilePaths.Display(path), Users.UserName(uid), Users.GroupName(gid), uid, gid, changed, checkedCount), changed > 0);
    }
}
