using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.User;

public static class UserAdd
{
    public static readonly VerbInfo Verb = VerbInfo.Define("add", Effect.Mutate,
        "Create an account (useradd); an existing account with the same attributes is `changed: false`.",
        [.. UserAttributes.ForAdd, UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.UserChangeResult, RunAsync,
        examples:
        [
            new("user://deploy.add shell=/bin/bash groups=adm create_home=true", "A login for deploy, in group adm, with a home from /etc/skel."),
            new("'user://svc-backup.add(system=true,shell=/usr/sbin/nologin)'", "A system account without a home or login."),
        ],
        notes: "If the account exists and every attribute given matches, nothing is done (`changed: false`); if one differs it is a `conflict` listing the differences (use modify or ensure to change it). The password stays locked until user://NAME.passwd sets one.");

    static async ValueTask<Outcome<UserChangeResult>> RunAsync(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx);
        var name = call.UserName();
        if (call.Db.User(name) is null) return await UserOps.CreateAsync(call, name).ConfigureAwait(false);
        var before = call.Info(name);
        var (_, changes) = UserAttributes.Compare(call, before);
        if (changes.Count == 0) return new UserChangeResult(name, "none", [], [], before);
        return ReshError.Conflict($"User {name} exists with different attributes ({string.Join(", ", changes.Select(c => c.Field))}).",
            $"Change it with resh user://{name}.modify (or .ensure).",
            new JsonObject { ["differences"] = new JsonArray(changes.Select(c => (JsonNode?)new JsonObject { ["field"] = c.Field, ["current"] = c.From, ["requested"] = c.To }).ToArray()) });
    }
}

public static class UserModify
{
    public static readonly VerbInfo Verb = VerbInfo.Define("modify", Effect.Mutate,
        "Change attributes of an existing account (usermod): only the fields given, only where they differ.",
        [.. UserAttributes.ForModify, UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.UserChangeResult, RunAsync,
        examples:
        [
            new("user://deploy.modify shell=/usr/sbin/nologin", "Take away deploy's login shell."),
            new("'user://deploy.modify(groups=docker,append=true)'", "Add deploy to docker, keeping its other groups."),
        ],
        notes: "groups= sets exactly those supplementary groups unless append=true. The result lists each changed field with its old and new value.");

    static async ValueTask<Outcome<UserChangeResult>> RunAsync(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx);
        return await UserOps.ModifyAsync(call, call.UserName()).ConfigureAwait(false);
    }
}

public static class UserEnsure
{
    static readonly Arg<string?> State = Arg.Enum("state", "present (create or bring to these attributes) or absent (delete).", ["present", "absent"], "present");
    static readonly Arg<bool> RemoveHome = Arg.Bool("remove_home", "With state=absent: also remove the home directory and mail spool.");
    static readonly Arg<bool> Force = Arg.Bool("force", "With state=absent: allow deleting root or a system account, even when logged in.");

    public static readonly VerbInfo Verb = VerbInfo.Define("ensure", Effect.Mutate,
        "Bring an account to a desired state in one call: present with these attributes, or absent; reports a per-field diff.",
        [State, UserAttributes.Uid, UserAttributes.Group, UserAttributes.Groups, UserAttributes.Append, UserAttributes.Home, UserAttributes.MoveHome,
            UserAttributes.Shell, UserAttributes.Comment, UserAttributes.CreateHome, UserAttributes.System, UserAttributes.Expires, RemoveHome, Force,
            UserRoot.Arg, AccountTools.BackendArg],
        () => UserJson.Default.UserChangeResult, RunAsync,
        examples:
        [
            new("user://deploy.ensure shell=/bin/bash groups=adm,sudo", "Create deploy or fix its shell and groups; a second run is unchanged."),
            new("'user://olduser.ensure(state=absent,remove_home=true)'", "Make sure olduser is gone."),
        ],
        notes: "Like Ansible's user module: the account is created when missing, otherwise only differing fields are changed; `changes` lists each field as from/to.");

    static async ValueTask<Outcome<UserChangeResult>> RunAsync(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx);
        var name = call.UserName();
        if (ctx.Get(State) == "absent") return await UserOps.DeleteAsync(call, name, ctx.Get(RemoveHome), ctx.Get(Force)).ConfigureAwait(false);
        return call.Db.User(name) is null
            ? await UserOps.CreateAsync(call, name).ConfigureAwait(false)
            : await UserOps.ModifyAsync(call, name).ConfigureAwait(false);
    }
}

public static class UserDelete
{
    static readonly Arg<bool> RemoveHome = Arg.Bool("remove_home", "Also remove the home directory and mail spool (userdel -r).");
    static readonly Arg<bool> Force = Arg.Bool("force", "Allow deleting root or a system account (UID below UID_MIN), and a user who is logged in.");

    public static readonly VerbInfo Verb = VerbInfo.Define("delete", Effect.Destroy,
        "Delete an account (userdel); deleting a missing account is `changed: false`.",
        [RemoveHome, Force, UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.UserChangeResult, RunAsync,
        examples: [new("user://deploy.delete remove_home=true", "Remove deploy and its home directory.")],
        notes: "Refuses root and accounts below UID_MIN (login.defs) without force=true: deleting a system account breaks the packages that own it.");

    static async ValueTask<Outcome<UserChangeResult>> RunAsync(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx);
        return await UserOps.DeleteAsync(call, call.UserName(), ctx.Get(RemoveHome), ctx.Get(Force)).ConfigureAwait(false);
    }
}
