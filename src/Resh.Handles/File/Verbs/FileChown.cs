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

    public static readonly VerbInfo Verb = VerbInfo.Define("chown", Effect.Mutate,
        "Change owner and/or group, by name or id; changed only when they differ.",
        [Owner, Group, Recursive, Follow], () => FileJson.Default.FileChownResult, Run,
        examples:
        [
            new("file:///srv/app.chown owner=app group=app recursive=true", "Hand a tree to the app user."),
            new("file:///var/lib/thing.chown group=1001", "Change only the group, by gid."),
        ],
        notes: "Unknown users or groups are `not_found`. Changing the owner needs root (or CAP_CHOWN); otherwise `permission_denied`.");

    static Outcome<FileChownResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        if (string.IsNullOrWhiteSpace(ctx.Get(Owner)) && string.IsNullOrWhiteSpace(ctx.Get(Group)))
            return ReshError.Usage("chown needs an owner, a group, or both.", "Add owner=NAME and/or group=NAME (names or numeric ids).");
        var who = Ownership.Resolve(ctx.Get(Owner), ctx.Get(Group));
        var follow = ctx.Get(Follow);
        var root = FileMetadata.StatOrThrow(path, follow);

        long changed = 0, checkedCount = 0;
        void Visit(string p, FileStatus st, bool followThis)
        {
            checkedCount++;
            if (!who.Differs(st)) return;
            changed++;
            if (!ctx.DryRun) FileErrors.Check(Posix.Chown(p, who.Uid, who.Gid, followThis), p, "change the owner of");
        }

        if (ctx.Get(Recursive) && root.IsDirectory)
        {
            foreach (var e in TreeWalk.Enumerate(path, int.MaxValue, null,
                (where, ex) => throw FileErrors.FromException(ex, where, "read the directory").ToException(), ctx.Cancellation))
                Visit(e.Path, e.Stat, followThis: false);
        }
        Visit(path, root, follow);
        uint uid = who.Uid >= 0 ? (uint)who.Uid : root.Uid, gid = who.Gid >= 0 ? (uint)who.Gid : root.Gid;
        return Outcome.Changed(new FileChownResult(path, Users.UserName(uid), Users.GroupName(gid), uid, gid, changed, checkedCount), changed > 0);
    }
}
