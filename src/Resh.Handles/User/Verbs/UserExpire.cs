using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.User;

public static class UserExpire
{
    static readonly Arg<string?> Date = Arg.String("date", "Account expiry: a date (YYYY-MM-DD, from 1970-01-02), `now` (expire today: no more logins, keys included), or `never`.",
        examples: ["2027-06-30", "now", "never"]);
    static readonly Arg<bool> Password = Arg.Bool("password", "true: the user must choose a new password at the next login (chage -d 0); false: no longer (the password counts as changed today).");
    static readonly Arg<long?> MaxDays = Arg.Int("max_days", "Days a password stays valid (chage -M); -1 removes the limit.", min: -1, max: 99999, examples: ["90"]);
    static readonly Arg<long?> MinDays = Arg.Int("min_days", "Days before a password may be changed again (chage -m).", min: 0, max: 99999, examples: ["1"]);
    static readonly Arg<long?> WarnDays = Arg.Int("warn_days", "Days of warning before the password expires (chage -W).", min: 0, max: 99999, examples: ["7"]);
    static readonly Arg<long?> InactiveDays = Arg.Int("inactive_days", "Days after the password expired until the account is locked (chage -I); -1 removes it.", min: -1, max: 99999, examples: ["30"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("expire", Effect.Mutate,
        "Set when an account expires (usermod -e), password aging (chage -M/-m/-W/-I), and/or force a password change at next login (chage -d 0).",
        [Date, Password, MaxDays, MinDays, WarnDays, InactiveDays, UserRoot.Arg, AccountTools.BackendArg], () => UserJson.Default.UserChangeResult, RunAsync,
        examples:
        [
            new("user://contractor.expire date=2027-06-30", "The account stops working after June 30, 2027."),
            new("user://deploy.expire password=true", "deploy must pick a new password at the next login."),
            new("'user://deploy.expire(max_days=90,warn_days=7)'", "Passwords last 90 days, with a week's warning."),
            new("user://contractor.expire date=never", "Remove the expiry."),
        ],
        notes: "Each field is compared with /etc/shadow first: what already holds is `changed: false`. Dates before 1970-01-02 are refused (shadow counts days from 1970; 0 means `must change`).");

    static async ValueTask<Outcome<UserChangeResult>> RunAsync(VerbContext ctx)
    {
        var call = UserCall.OpenForChange(ctx, needsShadow: true);
        var name = call.UserName();
        var date = ctx.Get(Date);
        bool? force = ctx.IsSet(Password) ? ctx.Get(Password) : null;
        var aging = new (string Field, long? Want, Func<UserInfo, int?> Have)[]
        {
            ("password_min_days", ctx.Get(MinDays), i => i.PasswordMinDays),
            ("password_max_days", ctx.Get(MaxDays), i => i.PasswordMaxDays),
            ("password_warn_days", ctx.Get(WarnDays), i => i.PasswordWarnDays),
            ("password_inactive_days", ctx.Get(InactiveDays), i => i.PasswordInactiveDays),
        };
        if (date is null && force is null && aging.All(a => a.Want is null))
            return ReshError.Usage("Nothing to do: give date=, password=, or an aging field (max_days, min_days, warn_days, inactive_days).", "Example: user://" + name + ".expire date=2027-06-30");
        string? want = null;
        if (date is not null)
        {
            want = date switch
            {
                "never" => null,
                "now" => DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                _ when DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) && d > new DateOnly(1970, 1, 1) => date,
                _ when DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) =>
                    throw ReshError.Usage($"date {date} is too early: shadow counts days from 1970-01-01, so the first possible date is 1970-01-02.", "Use date=now to expire the account today.").ToException(),
                _ => throw ReshError.Usage($"date must be YYYY-MM-DD, now or never, got `{AccountNames.Shown(date)}`.", "Example: date=2027-06-30").ToException(),
            };
        }
        var before = call.Info(name);
        var changes = new List<FieldChange>();
        var cmds = new List<IReadOnlyList<string>>();
        if (date is not null)
        {
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
        if (force == true && before.PasswordMustChange != true)
        {
            changes.Add(new("password_must_change", "false", "true"));
            cmds.Add(call.Tools.ForcePasswordChange(name));
        }
        if (force == false && before.PasswordMustChange == true)
        {
            changes.Add(new("password_must_change", "true", "false"));
            cmds.Add(call.Tools.ClearForcedPasswordChange(name, DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        }
        long? Pending(long? wantDays, int? have, string field)
        {
            if (wantDays is not { } w) return null;
            // -1 (no limit) is an empty shadow field: read back as null.
            if (w == -1 ? have is null or -1 : have == w) return null;
            changes.Add(new(field, have?.ToString(CultureInfo.InvariantCulture) ?? "none", w == -1 ? "none" : w.ToString(CultureInfo.InvariantCulture)));
            return w;
        }
        var ag = aging.Select(a => Pending(a.Want, a.Have(before), a.Field)).ToArray();
        if (ag.Any(v => v is not null)) cmds.Add(call.Tools.SetAging(name, ag[0], ag[1], ag[2], ag[3]));
        if (cmds.Count == 0) return new UserChangeResult(name, "none", [], [], before);
        if (ctx.DryRun) return Outcome.Changed(new UserChangeResult(name, "expiry_set", changes, cmds, before));
        foreach (var c in cmds) await call.RunAsync(c).ConfigureAwait(false);
        call.Db.Refresh();
        return Outcome.Changed(new UserChangeResult(name, "expiry_set", changes, cmds, call.Info(name)));
    }
}
