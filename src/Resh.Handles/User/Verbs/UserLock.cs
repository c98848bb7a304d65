using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.User;

public static class UserLock
{
    public static readonly VerbInfo Verb = VerbInfo.Define("lock", Effect.Mutate,
        "Lock an account's password (usermod -L: a `!` before the hash); already locked is `changed: false`.",
        [UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.UserChangeResult, RunAsync,
        examples: [new("user://deploy.lock", "deploy can no longer log in with a password (keys still work).")],
        notes: "Only password logins are locked, as with usermod -L; expire the account (user://NAME.expire date=now) to stop key logins too.");

    static ValueTask<Outcome<UserChangeResult>> RunAsync(VerbContext ctx) => LockOps.SetAsync(ctx, true);
}

public static class UserUnlock
{
    public static readonly VerbInfo Verb = VerbInfo.Define("unlock", Effect.Mutate,
        "Unlock an account's password (usermod -U); already unlocked is `changed: false`.",
        [UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.UserChangeResult, RunAsync,
        examples: [new("user://deploy.unlock", "Restore deploy's password login.")],
        notes: "An account that has no password behind the lock is a `conflict`: unlocking it would allow a login without a password. Set one with user://NAME.passwd.");

    static ValueTask<Outcome<UserChangeResult>> RunAsync(VerbContext ctx) => LockOps.SetAsync(ctx, false);
}

static class LockOps
{
    public static async ValueTask<Outcome<UserChangeResult>> SetAsync(VerbContext ctx, bool locked)
    {
        var call = UserCall.OpenForChange(ctx, needsShadow: true);
        var name = call.UserName();
        var before = call.Info(name);
        if (before.Locked is null) return ReshError.NotFound($"User {name} has no entry in /etc/shadow.", "Run pwconv to create shadow entries.");
        if (before.Locked == locked) return new UserChangeResult(name, "none", [], [], before);
        if (!locked && before.Password == "none")
            return ReshError.Conflict($"User {name} has no password: unlocking would allow logging in without one.", $"Set a password first: resh user://{name}.passwd password=@-");
        var cmd = locked ? call.Tools.Lock(name) : call.Tools.Unlock(name);
        var changes = new List<FieldChange> { new("locked", (!locked).ToString().ToLowerInvariant(), locked.ToString().ToLowerInvariant()) };
        var action = locked ? "locked" : "unlocked";
        if (ctx.DryRun) return Outcome.Changed(new UserChangeResult(name, action, changes, [cmd], before));
        await call.RunAsync(cmd).ConfigureAwait(false);
        call.Db.Refresh();
        return Outcome.Changed(new UserChangeResult(name, action, changes, [cmd], call.Info(name)));
    }
}
