using Resh.Handles.Tests.Svc;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Backup.BackupSupport;

namespace Resh.Handles.Tests.Backup;

/// <summary>backup.schedule writes a real crontab entry through cron:// (below root=, a throwaway tree, as the cron tests do).</summary>
public sealed class BackupScheduleTests : IDisposable
{
    readonly TempDir _dir = new("backup-sched");
    readonly TempDir _root = new("backup-cronroot");

    public BackupScheduleTests()
    {
        Namespaced.RequireRoot();
        Directory.CreateDirectory(_root["var/spool/cron/crontabs"]);
        Directory.CreateDirectory(_root["etc/cron.d"]);
    }

    public void Dispose()
    {
        _dir.Dispose();
        _root.Dispose();
    }

    string Crontab => _root["var/spool/cron/crontabs/root"];

    [Fact]
    public void Schedule_adds_one_idempotent_cron_entry_running_resh_backup_create_and_removes_it()
    {
        var repo = _dir["repo"];
        Assert.True(Run($"backup://{repo}.init", PasswordArg).Ok);
        var pwFile = _dir.File("backup.pass", Password);
        File.SetUnixFileMode(pwFile, (UnixFileMode)0x180);
        string[] call = [$"backup://{repo}.schedule", "name=nightly", "schedule=0 3 * * *", $"paths={_dir["src"]}", "tags=cron", $"password=file:{pwFile}", $"root={_root.Path}"];
        Directory.CreateDirectory(_dir["src"]);

        var add = Run(call);
        Assert.True(add.Ok, add.ToString());
        Assert.True(add.Changed);
        Assert.Equal("backup-nightly", add.Result!["job"]!.GetValue<string>());
        var text = File.ReadAllText(Crontab);
        Assert.Contains("# BEGIN resh backup-nightly", text);
        Assert.Contains("0 3 * * * ", text);
        Assert.Contains($"backup://{repo}.create", text);
        Assert.Contains($"password=file:{pwFile}", text);
        Assert.Contains("backend=restic", text);
        Assert.DoesNotContain(Password, text);

        // The entry runs: the exact command line cron would run (through /bin/sh) makes a snapshot.
        var line = text.Split('\n').Single(l => l.StartsWith("0 3 * * * ", StringComparison.Ordinal))["0 3 * * * ".Length..];
        var ran = Shell.Run(line);
        Assert.True(ran.ExitCode == 0, ran.ToString());
        var list = Run($"backup://{repo}.list", PasswordArg);
        Assert.Equal(["cron"], list.Result!["snapshots"]!.AsArray().Single()!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));

        var same = Run(call);
        Assert.True(same.Ok, same.ToString());
        Assert.False(same.Changed);
        Assert.Equal(text, File.ReadAllText(Crontab));

        var remove = Run($"backup://{repo}.schedule", "name=nightly", "remove=true", $"root={_root.Path}");
        Assert.True(remove.Ok, remove.ToString());
        Assert.True(remove.Changed);
        Assert.DoesNotContain("backup-nightly", File.ReadAllText(Crontab));
        var gone = Run($"backup://{repo}.schedule", "name=nightly", "remove=true", $"root={_root.Path}");
        Assert.False(gone.Changed);
    }

    [Fact]
    public void A_scheduled_password_must_be_a_reference_and_an_env_value_stays_out_of_the_crontab()
    {
        var repo = _dir["repo"];
        Assert.True(Run($"backup://{repo}.init", PasswordArg).Ok);
        var literal = Run($"backup://{repo}.schedule", "name=x", "schedule=@daily", "paths=/etc", "password=" + Password, $"root={_root.Path}");
        Assert.Equal("usage", literal.ErrorCode);
        Assert.False(File.Exists(Crontab) && File.ReadAllText(Crontab).Contains("backup-x"));

        var env = Run($"backup://{repo}.schedule", "name=envjob", "schedule=@daily", "paths=/etc", PasswordArg, $"root={_root.Path}");
        Assert.True(env.Ok, env.ToString());
        var text = File.ReadAllText(Crontab);
        Assert.Contains($"password=env:{PasswordVar}", text);
        Assert.DoesNotContain(Password, text);
        Assert.True(Run($"backup://{repo}.schedule", "name=envjob", "remove=true", $"root={_root.Path}").Ok);
    }
}
