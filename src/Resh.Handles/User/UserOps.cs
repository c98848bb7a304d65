using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.User;

/// <summary>Plan, then apply unless --dry-run: the account changes shared by add, modify, ensure and delete.</summary>
public static class UserOps
{
    public static async Task<Outcome<UserChangeResult>> CreateAsync(UserCall call, string name)
    {
        var spec = UserAttributes.NewUserFrom(call, name);
        var cmds = new List<IReadOnlyList<string>> { call.Tools.UserAdd(spec) };
        if (call.Tools is BusyboxTools) cmds.AddRange(BusyboxTools.InitialGroups(spec));
        if (call.Ctx.DryRun) return Outcome.Changed(new UserChangeResult(name, "created", UserAttributes.Created(spec, null), cmds, null));
        foreach (var c in cmds) await call.RunAsync(c).ConfigureAwait(false);
        call.Db.Refresh();
        var after = call.Info(name);
        return Outcome.Changed(new UserChangeResult(name, "created", UserAttributes.Created(spec, after), cmds, after));
    }

    public static async Task<Outcome<UserChangeResult>> ModifyAsync(UserCall call, string name)
    {
        var before = call.Info(name);
        var (edit, changes) = UserAttributes.Compare(call, before);
        if (changes.Count == 0) return new UserChangeResult(name, "none", [], [], before);
        var cmds = call.Tools.UserMod(name, edit, before.Groups);
        if (call.Ctx.DryRun) return Outcome.Changed(new UserChangeResult(name, "modified", changes, cmds, before));
        foreach (var c in cmds) await call.RunAsync(c).ConfigureAwait(false);
        call.Db.Refresh();
        return Outcome.Changed(new UserChangeResult(name, "modified", changes, cmds, call.Info(name)));
    }

    public static async Task<Outcome<UserChangeResult>> DeleteAsync(UserCall call, string name, bool removeHome, bool force)
    {
        var u = call.Db.User(name);
        if (u is null) return new UserChangeResult(name, "none", [], [], null);
        if (!force && (u.Uid == 0 || u.Uid < call.Defs.UidMin))
            return ReshError.Conflict($"Refusing to delete {(u.Uid == 0 ? "root" : "system account " + name)} (UID {u.Uid} is below UID_MIN {call.Defs.UidMin}).",
                "Pass force=true if you really mean it.", new JsonObject { ["uid"] = u.Uid, ["uid_min"] = call.Defs.UidMin });
        var before = UserInfoReader.Build(call.Db, call.Defs, u);
        var cmd = call.Tools.UserDel(name, removeHome, force);
        var changes = new List<FieldChange> { new("name", name, null) };
        if (removeHome && before.HomeExists) changes.Add(new("home", before.Home, null));
        if (call.Ctx.DryRun) return Outcome.Changed(new UserChangeResult(name, "deleted", changes, [cmd], null));
        await call.RunAsync(cmd).ConfigureAwait(false);
        return Outcome.Changed(new UserChangeResult(name, "deleted", changes, [cmd], null));
    }
}
