using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cron;

public static class CronValidate
{
    static readonly Arg<string?> Expression = Arg.String("expression", "The cron expression or macro to check.", required: true,
        examples: ["0 3 * * *", "@hourly"], aliases: ["schedule"], literalAt: true);

    public static readonly VerbInfo Verb = VerbInfo.Define("validate", Effect.Read,
        "Check a cron expression and explain it in words (with its systemd OnCalendar= form and next runs).",
        [Expression, CronJobs.TimeZoneArg], () => CronJson.Default.CronValidateResult, Run,
        examples: [new("'cron://.validate(expression=*/15 9-17 * * 1-5)'", "Every 15 minutes, 9:00-17:45, Monday to Friday.")],
        notes: "An invalid expression is an answer, not an error: valid is false and error says why.");

    static Outcome<CronValidateResult> Run(VerbContext ctx)
    {
        var text = ctx.Get(Expression)!;
        if (!CronSchedule.TryParse(text, out var s, out var error))
            return new CronValidateResult(text, false, null, error, [], []);
        return new CronValidateResult(s!.Expression, true, s.Describe(), null, s.ToOnCalendar(), CronJobs.NextRuns(s, CronJobs.Zone(ctx), 3));
    }
}
