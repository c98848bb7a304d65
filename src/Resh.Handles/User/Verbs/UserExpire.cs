using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.User;

public static class UserExpire
{
    static readonly Arg<string?> Date = Arg.String("date", "Account expiry: a date (YYYY-MM-DD), `now` (expire today: no more logins, keys included), or `never`.",
        examples: ["2027-06-30", "now", "never"]);
    static readonly Arg<bool> Password = Arg.Bool("password", "Make the user choose a new password at the next login (chage -d 0).");

    public static readonly VerbInfo Verb = VerbInfo.Define("expire", Effect.Mutate,
        "Set when an account expires (usermod -e) and/or force a password change at next login (chage -d 0).",
        [Date, Password, UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.UserChangeResult, RunAsync,
        examples:
        [
            new("user://contractor.expire date=2027-06-30", "The account stops working after June 30, 2027."),
            new("user://deploy.expire password=true", "deploy must pick a new password at the next login."),
            new("user://contractor.expire date=never", "Remove the expiry."),
        ]);

    static async ValueTask<Outcome<UserChangeResult>> RunAsync(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx, needsShadow: true);
        var name = call.UserName();
        var date = ctx.Get(Date);
        var force = ctx.Get(Password);
        if (date is null && !force) return ReshError.Usage("Nothing to do: give date= and/or password=true.", "Example: user://" + name + ".expire date=2027-06-30");
        var before = call.Info(name);
        var changes = new List<FieldChange>();
        var cmds = new List<IReadOnlyList<string>>();
        if (date is not null)
        {
            string? want = date switch
            {
                "never" => null,
                "now" => DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                _ when DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) => date,
                _ => throw ReshError.Usage($"date must be YYYY-MM-DD, now or never, got `{AccountNames.Shown(date)}`.", "Example: date=2027-06-30").ToException(),
            };
            // "now" means already expired: any expiry date in the past is as good, so it stays unchanged.
            var satisfied = date == "now"
                ? before.AccountExpires is { } cur && string.CompareOrdinal(cur, DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) <= 0
                : before.AccountExpires == want;
            if (!satisfied)
            {
                changes.Add(new("expires", before.AccountExpires ?? "never", want ?? "never"));
                cmds.Add(call.Tools.SetAccountExpiry(name, want));
            }
        }
        if (force && before.PasswordMustChange != true)
        {
            changes.Add(new("password_must_change", "false", "true"));
            cmds.Add(call.Tools.ForcePasswordChange(name));
        }
        if (cmds.Count == 0) return new UserChangeResult(name, "none", [], [], before);
        if (ctx.DryRun) return Outcome.Changed(new UserChangeResult(name, "expiry_set", changes, cmds, before));
        foreach (var c in cmds) await call.RunAsync(c).ConfigureAwait(false);
        call.Db.Refresh();
        return Outcome.Changed(new UserChangeResult(name, "expiry_set", changes, cmds, call.Info(name)));
    }
}
