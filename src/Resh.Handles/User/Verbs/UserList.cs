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
        var list = new List<UserSummary>();
        void Add(string name, long uid, long gid, string gecos, string home, string sh, Dictionary<long, string> groupNames)
        {
            var k = call.Defs.UserKind(uid);
            if (kind != "all" && k != kind) return;
            if (shell is not null && sh != shell) return;
            if (group is not null && gid != group.Gid && !group.Members.Contains(name)) return;
            list.Add(new UserSummary(name, uid, gid, groupNames.GetValueOrDefault(gid), home, sh, gecos, k));
        }
        if (call.Root.IsHost)
        {
            // Straight from NSS into the result: no record list, no group member lists (only names are shown).
            var names = Nss.GroupNames();
            Nss.EachUser((name, uid, gid, gecos, home, sh) => Add(name, uid, gid, gecos, home, sh, names));
        }
        else
        {
            var names = new Dictionary<long, string>();
            foreach (var gr in call.Db.Groups) names.TryAdd(gr.Gid, gr.Name);
            foreach (var u in call.Db.Users) Add(u.Name, u.Uid, u.Gid, u.Gecos, u.Home, u.Shell, names);
        }
        return new UserListResult(list.Count, call.Db.Source, list);
    }
}
