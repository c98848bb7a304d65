using Resh.Handles.Tests.Svc;
using Xunit;

namespace Resh.Handles.Tests.Cron;

[CollectionDefinition(Name)]
public sealed class CronFireCollection : ICollectionFixture<CronSandbox>
{
    public const string Name = "cron daemon";
}

/// <summary>The one slow test: a real cron daemon runs a job added through resh (up to about a minute).</summary>
[Collection(CronFireCollection.Name)]
public sealed class CronFireTests(CronSandbox cron)
{
    [Fact]
    public void The_cron_daemon_runs_a_job_added_through_resh()
    {
        var fired = Path.Combine(cron.Dir, "fired.txt");
        // cron rereads the spool at each minute's start and misses a change made in the same second it
        // looked, so never write in the first two seconds of a minute.
        while (DateTime.Now.Second < 2 || DateTime.Now.Second > 57) Thread.Sleep(200);
        var add = cron.Resh("cron://fire.add(schedule=* * * * *,comment=fires every minute)", "--", "/bin/sh", "-c", $"date +%s-%M >> '{fired}'; id -un >> '{fired}'");
        Assert.True(add.Ok, add.ToString());
        Assert.Contains(add.Result!["entry"]!["next_runs"]!.AsArray(), t => t is not null);
        var listed = cron.Resh("cron://.list");
        Assert.Contains(listed.Result!["entries"]!.AsArray(), e => e!["id"]!.GetValue<string>() == "fire" && e["managed"]!.GetValue<bool>());
        Namespaced.WaitUntil(() => File.Exists(fired) && File.ReadAllLines(fired).Length >= 2, TimeSpan.FromSeconds(70), "cron to run the job");
        var lines = File.ReadAllLines(fired);
        Assert.Matches(@"^\d+-\d\d$", lines[0]); // % survived cron's stdin rule as a literal
        Assert.Equal("root", lines[1]);
        Assert.True(cron.Resh("cron://fire.remove").Changed);
    }
}

/// <summary>cron:// as an unprivileged user against the real spool: every change goes through crontab(1).</summary>
[Collection(CronFireCollection.Name)]
public sealed class CronUnprivilegedTests(CronSandbox cron)
{
    Resh.TestSupport.ReshRun AsNobody(params string[] args) => Namespaced.Resh(cron.CronPid, "-m -S 65534 -G 65534", Resh.TestSupport.ReshBinary.Path, args);

    [Fact]
    public void An_unprivileged_user_removes_their_own_job_through_crontab()
    {
        var add = AsNobody("cron://rvunobody.add(schedule=@daily)", "--", "/bin/true");
        Assert.True(add.Ok, add.ToString());
        var remove = AsNobody("cron://rvunobody.remove");
        Assert.True(remove.Ok, remove.ToString());
        Assert.True(remove.Changed);
        Assert.DoesNotContain("UnauthorizedAccess", remove.Stdout);
        var list = AsNobody("cron://.list");
        Assert.DoesNotContain(list.Result!["entries"]!.AsArray(), e => e!["id"]!.GetValue<string>() == "rvunobody");
    }
}
