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
        if (call.Ctx.DryRun)
        {
            if (HasSudoDropIn(call, name)) call.Ctx.Warn($"The sudo drop-in {Path.Combine(call.Root.SudoersD, SudoersDropIn.FileName(name, false))} would be removed too.");
            return Outcome.Changed(new UserChangeResult(name, "deleted", changes, [cmd], null));
        }
        await call.RunAsync(cmd).ConfigureAwait(false);
        RemoveSudoDropIn(call, name);
        return Outcome.Changed(new UserChangeResult(name, "deleted", changes, [cmd], null));
    }

    static bool HasSudoDropIn(UserCall call, string name)
    {
        using var dir = SudoersDropIn.OpenDir(call.Root, create: false);
        return dir is not null && SudoersDropIn.Read(dir, SudoersDropIn.FileName(name, false)) is { } text && SudoersDropIn.PrincipalOf(text) == name;
    }

    /// <summary>
    /// The account's resh sudo drop-in goes with it: a later account of the same name must not inherit sudo.
    /// Only a file holding this user's rule is removed.
    /// </summary>
    static void RemoveSudoDropIn(UserCall call, string name)
    {
        try
        {
            if (!HasSudoDropIn(call, name)) return;
            using var dir = SudoersDropIn.OpenDir(call.Root, create: false)!;
            SudoersDropIn.Remove(dir, SudoersDropIn.FileName(name, false));
            call.Ctx.Warn($"Removed the sudo drop-in {Path.Combine(call.Root.SudoersD, SudoersDropIn.FileName(name, false))} with the account.");
        }
        catch (Exception e) when (e is IOException or ReshException)
        {
            call.Ctx.Warn($"The account is gone but its sudo drop-in {Path.Combine(call.Root.SudoersD, SudoersDropIn.FileName(name, false))} could not be removed: {e.Message}");
        }
    }
}
