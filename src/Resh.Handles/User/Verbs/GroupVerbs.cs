using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.User;

public static class GroupList
{
    static readonly Arg<string?> Kind = Arg.Enum("kind", "human (GID_MIN..GID_MAX), system, or all.", ["all", "human", "system"], "all");

    public static readonly VerbInfo Verb = VerbInfo.Define("group.list", Effect.Read,
        "Every group (NSS, as getent group) with its members and the users for whom it is the primary group.",
        [Kind, UserRoot.Arg], () => UserJson.Default.GroupListResult, Run,
        examples: [new("user://.group.list", "All groups."), new("'user://.group.list(kind=human)'", "Groups made for people.")],
        targetHelp: "Empty: user://.group.list");

    static Outcome<GroupListResult> Run(VerbContext ctx)
    {
        var call = UserCall.Open(ctx);
        var kind = ctx.Get(Kind);
        var list = call.Db.Groups.Where(g => kind == "all" || call.Defs.GroupKind(g.Gid) == kind).Select(call.GroupEntryOf).ToList();
        return new GroupListResult(list.Count, call.Db.Source, list);
    }
}

public static class GroupMembers
{
    public static readonly VerbInfo Verb = VerbInfo.Define("group.members", Effect.Read,
        "A group's GID, its members, and the users for whom it is the primary group.",
        [UserRoot.Arg], () => UserJson.Default.GroupEntry, Run,
        examples: [new("user://group/sudo.group.members", "Who may use sudo through the sudo group.")],
        targetHelp: "A group: user://group/NAME");

    static Outcome<GroupEntry> Run(VerbContext ctx)
    {
        var call = UserCall.Open(ctx);
        return call.GroupEntryOf(call.ExistingGroup(call.GroupName()));
    }
}

public static class GroupAdd
{
    static readonly Arg<long?> Gid = Arg.Int("gid", "Numeric group id (default: the next free one).", min: 0, max: 4294967294);
    static readonly Arg<bool> System = Arg.Bool("system", "A system group (GID below GID_MIN).");

    public static readonly VerbInfo Verb = VerbInfo.Define("group.add", Effect.Mutate,
        "Create a group (groupadd); an existing group with the same GID is `changed: false`.",
        [Gid, System, UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.GroupChangeResult, RunAsync,
        examples: [new("user://group/developers.group.add", "A new group."), new("'user://group/deploy.group.add(gid=2000)'", "With a fixed GID.")],
        targetHelp: "A group: user://group/NAME");

    static async ValueTask<Outcome<GroupChangeResult>> RunAsync(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx);
        var name = call.GroupName();
        var gid = ctx.Get(Gid);
        if (call.Db.Group(name) is { } existing)
        {
            if (gid is null || gid == existing.Gid) return new GroupChangeResult(name, "none", [], [], call.GroupEntryOf(existing));
            return ReshError.Conflict($"Group {name} exists with GID {existing.Gid}, not {gid}.", "Choose another name, or delete the group first.");
        }
        if (gid is { } g && call.Db.GroupById(g) is { } other)
            return ReshError.Conflict($"GID {g} is already used by group {other.Name}.", "Choose another gid, or leave it out.");
        var cmd = call.Tools.GroupAdd(name, gid, ctx.Get(System));
        var changes = new List<FieldChange> { new("name", null, name) };
        if (gid is not null) changes.Add(new("gid", null, gid.Value.ToString(global::System.Globalization.CultureInfo.InvariantCulture)));
        if (ctx.DryRun) return Outcome.Changed(new GroupChangeResult(name, "created", changes, [cmd], null));
        await call.RunAsync(cmd).ConfigureAwait(false);
        call.Db.Refresh();
        return Outcome.Changed(new GroupChangeResult(name, "created", changes, [cmd], call.GroupEntryOf(call.ExistingGroup(name))));
    }
}

public static class GroupDelete
{
    static readonly Arg<bool> Force = Arg.Bool("force", "Allow deleting a system group (GID below GID_MIN).");

    public static readonly VerbInfo Verb = VerbInfo.Define("group.delete", Effect.Destroy,
        "Delete a group (groupdel); a missing group is `changed: false`.",
        [Force, UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.GroupChangeResult, RunAsync,
        examples: [new("user://group/developers.group.delete", "Remove the group.")],
        targetHelp: "A group: user://group/NAME",
        notes: "A group that is some user's primary group is a `conflict` naming the users; system groups need force=true.");

    static async ValueTask<Outcome<GroupChangeResult>> RunAsync(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx);
        var name = call.GroupName();
        var g = call.Db.Group(name);
        if (g is null) return new GroupChangeResult(name, "none", [], [], null);
        var entry = call.GroupEntryOf(g);
        if (entry.PrimaryMembers.Count > 0)
            return ReshError.Conflict($"Group {name} is the primary group of {string.Join(", ", entry.PrimaryMembers)}.", "Change or delete those users first.");
        if (!ctx.Get(Force) && g.Gid < call.Defs.GidMin)
            return ReshError.Conflict($"Refusing to delete system group {name} (GID {g.Gid} is below GID_MIN {call.Defs.GidMin}).", "Pass force=true if you really mean it.");
        var cmd = call.Tools.GroupDel(name);
        if (ctx.DryRun) return Outcome.Changed(new GroupChangeResult(name, "deleted", [new("name", name, null)], [cmd], entry));
        await call.RunAsync(cmd).ConfigureAwait(false);
        return Outcome.Changed(new GroupChangeResult(name, "deleted", [new("name", name, null)], [cmd], null));
    }
}

/// <summary>member.add / member.remove: the target is a group (user= names the user) or a user (group= names the group).</summary>
public static class MemberChange
{
    static readonly Arg<string?> UserArg = Arg.String("user", "The user, when the target is a group (user://group/NAME).");
    static readonly Arg<string?> GroupArg = Arg.String("group", "The group, when the target is a user (user://NAME).");

    public static readonly VerbInfo Add = VerbInfo.Define("member.add", Effect.Mutate,
        "Add a user to a group's supplementary members (gpasswd -a); already a member is `changed: false`.",
        [UserArg, GroupArg, UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.GroupChangeResult, ctx => RunAsync(ctx, true),
        examples: [new("user://group/docker.member.add user=deploy", "deploy joins docker."), new("user://deploy.member.add group=docker", "The same, from the user's side.")],
        targetHelp: "A group (user://group/NAME, with user=) or a user (user://NAME, with group=)");

    public static readonly VerbInfo Remove = VerbInfo.Define("member.remove", Effect.Mutate,
        "Remove a user from a group's supplementary members (gpasswd -d); not a member is `changed: false`.",
        [UserArg, GroupArg, UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.GroupChangeResult, ctx => RunAsync(ctx, false),
        examples: [new("user://group/docker.member.remove user=deploy", "deploy leaves docker.")],
        targetHelp: "A group (user://group/NAME, with user=) or a user (user://NAME, with group=)",
        notes: "The primary group is not a membership that can be removed: change it with user://NAME.modify group=...");

    static async ValueTask<Outcome<GroupChangeResult>> RunAsync(VerbContext ctx, bool add)
    {
        var call = UserCall.OpenForChange(ctx);
        string user, group;
        if (ctx.Target.StartsWith("group/", StringComparison.Ordinal))
        {
            group = call.GroupName();
            user = AccountNames.Check(ctx.Get(UserArg) ?? throw ReshError.Usage("Name the user: user=NAME.", $"Example: user://group/{group}.{ctx.Verb.Name} user=deploy").ToException(), "user");
        }
        else
        {
            user = call.UserName();
            group = AccountNames.Check(ctx.Get(GroupArg) ?? throw ReshError.Usage("Name the group: group=NAME.", $"Example: user://{user}.{ctx.Verb.Name} group=docker").ToException(), "group");
        }
        var u = call.ExistingUser(user);
        var g = call.ExistingGroup(group);
        var member = g.Members.Contains(user);
        if (member == add) return new GroupChangeResult(group, "none", [], [], call.GroupEntryOf(g));
        if (!add && u.Gid == g.Gid && !member) return new GroupChangeResult(group, "none", [], [], call.GroupEntryOf(g));
        var cmd = add ? call.Tools.MemberAdd(user, group) : call.Tools.MemberRemove(user, group);
        var change = add ? new FieldChange("members", null, user) : new FieldChange("members", user, null);
        var action = add ? "member_added" : "member_removed";
        if (ctx.DryRun) return Outcome.Changed(new GroupChangeResult(group, action, [change], [cmd], call.GroupEntryOf(g)));
        await call.RunAsync(cmd).ConfigureAwait(false);
        call.Db.Refresh();
        return Outcome.Changed(new GroupChangeResult(group, action, [change], [cmd], call.GroupEntryOf(call.ExistingGroup(group))));
    }
}
