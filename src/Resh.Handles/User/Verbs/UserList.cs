using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.User;

public static class UserList
{
    static readonly Arg<string?> Kind = Arg.Enum("kind", "human (UID_MIN..UID_MAX of login.defs), system, or all.", ["all", "human", "system"], "all");
    static readonly Arg<string?> Shell = Arg.String("shell", "Only users with this login shell.", examples: ["/bin/bash"]);
    static readonly Arg<string?> Group = Arg.String("group", "Only members of this group (primary or supplementary).", examples: ["sudo"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "Every account the system knows (NSS, as getent passwd), with filters for human/system accounts, shell and group.",
        [Kind, Shell, Group, UserRoot.Arg], () => UserJson.Default.UserListResult, Run,
        examples: [new("user://.list", "All accounts."), new("'user://.list(kind=human,shell=/bin/bash)'", "People with a bash login.")],
        targetHelp: "Empty: user://.list");

    static Outcome<UserListResult> Run(VerbContext ctx)
    {
        var call = UserCall.Open(ctx);
        var kind = ctx.Get(Kind);
        var shell = ctx.Get(Shell);
        var group = ctx.Get(Group) is { } g ? call.Db.ResolveGroup(g) : null;
        if (ctx.Get(Group) is not null && group is null) return new UserListResult(0, call.Db.Source, []);
        var groupNames = call.Db.Groups.ToDictionary(x => x.Gid, x => x.Name);
        var list = new List<UserSummary>();
        foreach (var u in call.Db.Users)
        {
            var k = call.Defs.UserKind(u.Uid);
            if (kind != "all" && k != kind) continue;
            if (shell is not null && u.Shell != shell) continue;
            if (group is not null && u.Gid != group.Gid && !group.Members.Contains(u.Name)) continue;
            list.Add(new UserSummary(u.Name, u.Uid, u.Gid, groupNames.GetValueOrDefault(u.Gid), u.Home, u.Shell, u.Gecos, k));
        }
        return new UserListResult(list.Count, call.Db.Source, list);
    }
}
