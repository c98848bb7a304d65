using Resh.Core.Model;

namespace Resh.Handles.Cron;

/// <summary>cron:// — scheduled jobs in crontabs and systemd timers.</summary>
public static class CronHandle
{
    public static HandleInfo Create() => new("cron",
        "Scheduled jobs: list crontabs and timers, add/remove/enable/disable jobs by id, next run times, explain expressions, run a job now.",
        "A job id (cron://backup), or empty for list, next and validate (cron://.list, cron://.next(expression=0 3 * * *)).",
        [
            CronList.Verb,
            CronAdd.Verb,
            CronRemove.Verb,
            CronEnable.Verb,
            CronDisable.Verb,
            CronNext.Verb,
            CronValidate.Verb,
            CronRunNow.Verb,
        ])
    {
        Notes = "resh owns only what it adds: a marked block (# BEGIN resh ID / # END resh ID) in a crontab, or resh-ID.timer and resh-ID.service. "
            + "Crontabs are replaced atomically and every line outside resh's blocks stays byte for byte. As root, user crontabs are written straight into the spool "
            + "(0600, owned by the user); otherwise through crontab(1). root= points every crontab location below another directory.",
    };
}
