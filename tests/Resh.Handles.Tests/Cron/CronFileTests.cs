using System.Globalization;
using Resh.Handles.Tests.Svc;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Cron;

/// <summary>cron:// editing real crontab files below root= (a throwaway tree), and computing schedules.</summary>
public sealed class CronFileTests : IDisposable
{
    const string HandWritten = "# my crontab, edited by hand\nMAILTO=ops@example.com\nSHELL=/bin/bash\n\n*/5  *\t* * *   /usr/bin/hand-written  --flag   \"x y\"  \n@reboot /usr/local/bin/on-boot\n# trailing comment with spaces   \n";

    readonly TempDir _root = new("cronroot");

    public CronFileTests()
    {
        Namespaced.RequireRoot();
        Directory.CreateDirectory(_root["var/spool/cron/crontabs"]);
        Directory.CreateDirectory(_root["etc/cron.d"]);
    }

    public void Dispose() => _root.Dispose();

    string RootCrontab => _root["var/spool/cron/crontabs/root"];
    string R => $"root={_root.Path}";

    ReshRun Cron(params string[] args) => ReshBinary.Run(args);

    [Fact]
    public void Next_of_the_exact_issue_call_gives_the_next_three_3_oclocks()
    {
        var run = Cron("cron://.next(expression=0 3 * * *,count=3)");
        Assert.Equal(0, run.ExitCode);
        var times = run.Result!["times"]!.AsArray().Select(t => DateTimeOffset.Parse(t!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        var zone = TimeZoneInfo.Local;
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone);
        var first = new DateTimeOffset(now.Year, now.Month, now.Day, 3, 0, 0, now.Offset);
        if (first <= now) first = first.AddDays(1);
        Assert.Equal([first, first.AddDays(1), first.AddDays(2)], times);
    }

    [Fact]
    public void Next_is_time_zone_aware()
    {
        var run = Cron("cron://.next(expression=@daily,count=2,tz=America/New_York,from=2026-03-07T12:00:00Z)");
        Assert.Equal(["2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"], run.Result!["times"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public void Next_runs_on_either_day_when_day_of_month_and_day_of_week_are_both_given()
    {
        var run = Cron("cron://.next(expression=0 0 13 * 5,count=4,tz=UTC,from=2026-11-01T00:00:00Z)");
        Assert.Equal(["2026-11-06T00:00:00+00:00", "2026-11-13T00:00:00+00:00", "2026-11-20T00:00:00+00:00", "2026-11-27T00:00:00+00:00"],
            run.Result!["times"]!.AsArray().Select(t => t!.GetValue<string>()));
        var december = Cron("cron://.next(expression=0 0 13 * 5,count=3,tz=UTC,from=2026-12-01T00:00:00Z)");
        Assert.Contains("2026-12-13T00:00:00+00:00", december.Result!["times"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public void Validate_explains_a_valid_expression_and_says_why_one_is_invalid()
    {
        var ok = Cron("cron://.validate(expression=0 3 * * *)");
        Assert.True(ok.Result!["valid"]!.GetValue<bool>());
        Assert.Contains("03:00", ok.Result["description"]!.GetValue<string>());
        Assert.Equal(["*-*-* 03:00:00"], ok.Result["on_calendar"]!.AsArray().Select(c => c!.GetValue<string>()));
        var bad = Cron("cron://.validate(expression=61 * * * *)");
        Assert.Equal(0, bad.ExitCode);
        Assert.False(bad.Result!["valid"]!.GetValue<bool>());
        Assert.NotNull(bad.Result["error"]);
        Assert.Equal("usage", Cron("cron://.next(expression=* * *)").ErrorCode);
    }

    [Fact]
    public void A_stepped_day_of_month_is_described_as_the_days_it_runs()
    {
        var run = Cron("cron://.validate(expression=0 0 */10 * *)");
        var description = run.Result!["description"]!.GetValue<string>();
        Assert.DoesNotContain("every day", description);
        Assert.Contains("on day 1, 11, 21 and 31 of the month", description);
        Assert.Equal(["*-*-01,11,21,31 00:00:00"], run.Result["on_calendar"]!.AsArray().Select(c => c!.GetValue<string>()));
        // A `*`-style day field ANDs with the other (cron's rule): both limits show.
        var and = Cron("cron://.validate(expression=0 0 */10 * 1)").Result!;
        Assert.Contains("when it is a Monday", and["description"]!.GetValue<string>());
        Assert.Equal(["Mon *-*-01,11,21,31 00:00:00"], and["on_calendar"]!.AsArray().Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public async Task Parallel_adds_to_one_crontab_all_survive()
    {
        var runs = await Task.WhenAll(Enumerable.Range(1, 6)
            .Select(n => Task.Run(() => Cron($"cron://par{n}.add({R},schedule=@daily)", "--", "/bin/echo", n.ToString(CultureInfo.InvariantCulture)))));
        foreach (var r in runs) Assert.True(r.Changed, r.ToString());
        var text = File.ReadAllText(RootCrontab);
        for (int n = 1; n <= 6; n++) Assert.Contains($"# BEGIN resh par{n}\n", text);
    }

    [Fact]
    public void A_symlinked_cron_d_file_is_refused_and_left_a_link()
    {
        var real = _root["managed-elsewhere"];
        File.WriteAllText(real, "# managed elsewhere\n");
        var link = _root["etc/cron.d/linked"];
        File.CreateSymbolicLink(link, real);
        var run = Cron($"cron://linkjob.add({R},schedule=@daily,file=linked)", "--", "/bin/true");
        Assert.Equal("conflict", run.ErrorCode);
        Assert.Contains(real, run.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.Equal(real, new FileInfo(link).LinkTarget);
        Assert.Equal("# managed elsewhere\n", File.ReadAllText(real));
    }

    [Fact]
    public void Run_now_in_a_dry_run_reports_no_exit_code()
    {
        Cron($"cron://dryrun.add({R},schedule=@daily)", "--", "/bin/true");
        var run = ReshBinary.Run("--dry-run", $"cron://dryrun.run-now({R})");
        Assert.True(run.Ok, run.ToString());
        Assert.Null(run.Result!["exit_code"]);
    }

    [Fact]
    public void Adding_keeps_a_hand_written_crontab_byte_for_byte_and_removing_restores_it()
    {
        File.WriteAllText(RootCrontab, HandWritten);
        var add = Cron($"cron://nightly.add({R},schedule=@daily,comment=nightly run)", "--", "/usr/local/bin/backup", "--to", "/srv/backup dir");
        Assert.Equal(0, add.ExitCode);
        Assert.True(add.Changed);
        var text = File.ReadAllText(RootCrontab);
        Assert.StartsWith(HandWritten, text);
        Assert.Contains("# BEGIN resh nightly\n", text);
        Assert.Contains("@daily /usr/local/bin/backup --to '/srv/backup dir'\n", text);
        var mode = File.GetUnixFileMode(RootCrontab);
        Assert.Equal((UnixFileMode)0x180, mode);
        var remove = Cron($"cron://nightly.remove({R})");
        Assert.True(remove.Changed);
        Assert.Equal(HandWritten, File.ReadAllText(RootCrontab));
        Assert.False(Cron($"cron://nightly.remove({R})").Changed);
    }

    [Fact]
    public void Adding_the_same_job_twice_is_unchanged_and_a_new_schedule_replaces_the_block()
    {
        string[] call = [$"cron://report.add({R},schedule=0 7 * * 1-5)", "--", "/srv/report.sh"];
        Assert.True(Cron(call).Changed);
        Assert.False(Cron(call).Changed);
        Assert.True(Cron($"cron://report.add({R},schedule=30 7 * * 1-5)", "--", "/srv/report.sh").Changed);
        var text = File.ReadAllText(RootCrontab);
        Assert.Single(text.Split('\n'), l => l == "# BEGIN resh report");
        Assert.Contains("30 7 * * 1-5 /srv/report.sh\n", text);
    }

    [Fact]
    public void Dry_run_add_writes_nothing_but_shows_the_diff()
    {
        File.WriteAllText(RootCrontab, HandWritten);
        var run = ReshBinary.Run("--dry-run", $"cron://dry.add({R},schedule=@hourly)", "--", "/bin/true");
        Assert.True(run.Changed);
        Assert.Contains("+# BEGIN resh dry", run.Result!["diff"]!.GetValue<string>());
        Assert.Equal(HandWritten, File.ReadAllText(RootCrontab));
    }

    [Fact]
    public void Disable_comments_the_job_out_and_enable_restores_it()
    {
        Cron($"cron://pausable.add({R},schedule=*/10 * * * *)", "--", "/bin/true");
        var disable = Cron($"cron://pausable.disable({R})");
        Assert.True(disable.Changed);
        Assert.Contains("# disabled: */10 * * * * /bin/true\n", File.ReadAllText(RootCrontab));
        Assert.False(Cron($"cron://pausable.disable({R})").Changed);
        var listed = Cron($"cron://.list({R})").Result!["entries"]!.AsArray().Single(e => e!["id"]!.GetValue<string>() == "pausable")!;
        Assert.False(listed["enabled"]!.GetValue<bool>());
        Assert.True(Cron($"cron://pausable.enable({R})").Changed);
        Assert.Contains("\n*/10 * * * * /bin/true\n", File.ReadAllText(RootCrontab));
    }

    [Fact]
    public void Lines_resh_did_not_add_get_stable_ids_and_are_never_edited()
    {
        File.WriteAllText(RootCrontab, HandWritten);
        File.WriteAllText(_root["etc/crontab"], "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n");
        var first = Cron($"cron://.list({R})").Result!["entries"]!.AsArray();
        var second = Cron($"cron://.list({R})").Result!["entries"]!.AsArray();
        Assert.Equal(3, first.Count);
        Assert.Equal(first.Select(e => e!["id"]!.GetValue<string>()), second.Select(e => e!["id"]!.GetValue<string>()));
        var hand = first.Single(e => e!["command"]!.GetValue<string>().StartsWith("/usr/bin/hand-written", StringComparison.Ordinal))!;
        Assert.Equal("*/5 * * * *", hand["schedule"]!.GetValue<string>());
        Assert.Equal("/usr/bin/hand-written  --flag   \"x y\"  ", hand["command"]!.GetValue<string>());
        var system = first.Single(e => e!["source"]!.GetValue<string>().EndsWith("etc/crontab", StringComparison.Ordinal))!;
        Assert.Equal("root", system["user"]!.GetValue<string>());
        var id = hand["id"]!.GetValue<string>();
        Assert.Equal("conflict", Cron($"cron://{id}.remove({R})").ErrorCode);
        Assert.Equal("conflict", Cron($"cron://{id}.disable({R})").ErrorCode);
        Assert.Equal(HandWritten, File.ReadAllText(RootCrontab));
    }

    [Fact]
    public void A_job_in_cron_d_uses_the_system_format_with_its_user()
    {
        var run = Cron($"cron://sysjob.add({R},schedule=15 2 * * *,file=resh,user=nobody)", "--", "/usr/bin/env");
        Assert.True(run.Changed, run.ToString());
        Assert.Contains("15 2 * * * nobody /usr/bin/env\n", File.ReadAllText(_root["etc/cron.d/resh"]));
        var entry = Cron($"cron://.list({R})").Result!["entries"]!.AsArray().Single(e => e!["id"]!.GetValue<string>() == "sysjob")!;
        Assert.Equal("nobody", entry["user"]!.GetValue<string>());
        Assert.Equal("conflict", Cron($"cron://sysjob.add({R},schedule=@daily)", "--", "/bin/true").ErrorCode); // same id, other table
        Assert.True(Cron($"cron://sysjob.remove({R})").Changed);
        Assert.False(File.Exists(_root["etc/cron.d/resh"]));
    }

    [Fact]
    public void Run_now_runs_the_command_as_cron_would_and_reports_failure()
    {
        Cron($"cron://echo.add({R},schedule=@daily,env=GREETING=it's 100% done)", "--", "/bin/sh", "-c", "printf '%s|%s\\n' \"$GREETING\" \"$PATH\"");
        var run = Cron($"cron://echo.run-now({R})");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("it's 100% done|/usr/bin:/bin\n", run.Result!["stdout"]!.GetValue<string>());
        Cron($"cron://fails.add({R},schedule=@daily)", "--", "/bin/sh", "-c", "echo broken >&2; exit 4");
        var fail = Cron($"cron://fails.run-now({R})");
        Assert.Equal("failed", fail.ErrorCode);
        Assert.Equal(4, fail.Envelope["error"]!["details"]!["exit_code"]!.GetValue<int>());
        Assert.Equal("broken\n", fail.Envelope["error"]!["details"]!["stderr"]!.GetValue<string>());
    }

    [Fact]
    public void An_invalid_schedule_or_unknown_user_is_rejected_before_anything_is_written()
    {
        Assert.Equal("usage", Cron($"cron://bad.add({R},schedule=0 25 * * *)", "--", "/bin/true").ErrorCode);
        Assert.Equal("not_found", Cron($"cron://bad.add({R},schedule=@daily,user=no-such-user-resh)", "--", "/bin/true").ErrorCode);
        Assert.False(File.Exists(RootCrontab));
    }

    [Fact]
    public void Run_now_uses_the_crontabs_shell_path_and_variables_as_cron_does()
    {
        File.WriteAllText(RootCrontab, "SHELL=/bin/bash\nPATH=/opt/resh-test:/usr/bin:/bin\nFOO = \"two words\"\nMAILTO=ops@example.com\n" +
            "17 3 * * * echo \"${BASH_VERSION:+bash}|$PATH|$FOO|$MAILTO|$LOGNAME|$(pwd)\"\nLATE=after\n");
        var id = Cron($"cron://.list({R})").Result!["entries"]!.AsArray().Single()!["id"]!.GetValue<string>();
        var run = Cron($"cron://{id}.run-now({R})");
        Assert.True(run.Ok, run.ToString());
        var home = File.ReadAllLines("/etc/passwd").First(l => l.StartsWith("root:", StringComparison.Ordinal)).Split(':')[5];
        Assert.Equal($"bash|/opt/resh-test:/usr/bin:/bin|two words|ops@example.com|root|{home}\n", run.Result!["stdout"]!.GetValue<string>());
        Assert.Equal("/bin/bash", run.Result!["command"]![0]!.GetValue<string>());
    }

    [Fact]
    public void A_crontab_without_a_final_newline_stays_byte_identical_through_add_and_remove()
    {
        const string original = "MAILTO=ops@example.com\n0 1 * * * /usr/bin/never-read-by-cron";
        File.WriteAllText(RootCrontab, original);
        var add = Cron($"cron://nl.add({R},schedule=@daily)", "--", "/bin/true");
        Assert.True(add.Changed, add.ToString());
        var text = File.ReadAllText(RootCrontab);
        Assert.EndsWith("# END resh nl\n0 1 * * * /usr/bin/never-read-by-cron", text);
        Assert.Contains(add.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("no newline", StringComparison.Ordinal));
        Assert.DoesNotContain("-0 1 * * *", add.Result!["diff"]!.GetValue<string>());
        Assert.True(Cron($"cron://nl.remove({R})").Changed);
        Assert.Equal(original, File.ReadAllText(RootCrontab));
    }

    [Fact]
    public void Secret_env_is_kept_in_a_0600_file_the_job_sources_and_never_in_the_crontab()
    {
        var secret = "tok-" + Guid.NewGuid().ToString("N")[..12];
        var source = _root.File("secret-source", secret + "\n");
        var add = Cron($"cron://secretjob.add({R},schedule=@daily,user=nobody,secret_env=API_TOKEN=file:{source})", "--", "/bin/sh", "-c", "printf %s \"$API_TOKEN\"");
        Assert.True(add.Ok, add.ToString());
        Assert.DoesNotContain(secret, add.Stdout);
        Assert.Contains("API_TOKEN=***", add.Result!["diff"]!.GetValue<string>());
        var crontab = File.ReadAllText(_root["var/spool/cron/crontabs/nobody"]);
        Assert.DoesNotContain(secret, crontab);
        var envFile = _root["etc/resh/cron/secretjob.env"];
        Assert.Contains($". {envFile} && ", crontab);
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(envFile));
        Assert.DoesNotContain(secret, Cron($"cron://.list({R})").Stdout);
        var run = Cron($"cron://secretjob.run-now({R})");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("***", run.Result!["stdout"]!.GetValue<string>()); // it ran with the secret; the envelope masks it
        Assert.False(Cron($"cron://secretjob.add({R},schedule=@daily,user=nobody,secret_env=API_TOKEN=file:{source})", "--", "/bin/sh", "-c", "printf %s \"$API_TOKEN\"").Changed);
        Assert.True(Cron($"cron://secretjob.remove({R})").Changed);
        Assert.False(File.Exists(envFile));
    }

    [Fact]
    public void An_image_whose_cron_dirs_are_symlinks_to_the_host_cannot_make_resh_write_outside_it()
    {
        // The "host" is a throwaway tree too: the image's links point at it, never at the real /etc or spool.
        using var image = new TempDir("cronimg");
        using var host = new TempDir("cronhost");
        Directory.CreateDirectory(host["spool"]);
        Directory.CreateDirectory(host["crond"]);
        Directory.CreateDirectory(host["etcresh"]);
        File.WriteAllText(host["spool/root"], "# the host's own crontab\n");
        Directory.CreateDirectory(image["var/spool/cron"]);
        Directory.CreateDirectory(image["etc"]);
        File.CreateSymbolicLink(image["var/spool/cron/crontabs"], host["spool"]);
        File.CreateSymbolicLink(image["etc/cron.d"], host["crond"]);
        File.CreateSymbolicLink(image["etc/resh"], host["etcresh"]);
        var source = image.File("token", "s3cret-value\n");
        var before = Snapshot(host.Path);

        var user = Cron($"cron://imgjob.add(root={image.Path},schedule=@daily,secret_env=API_TOKEN=file:{source})", "--", "/bin/true");
        Assert.False(user.Ok, user.ToString());
        var system = Cron($"cron://imgjob2.add(root={image.Path},schedule=@daily,file=resh)", "--", "/bin/true");
        Assert.False(system.Ok, system.ToString());
        var listed = Cron($"cron://.list(root={image.Path})");
        Assert.DoesNotContain("the host's own", listed.ToString());

        Assert.Equal(before, Snapshot(host.Path));
        Assert.Equal("# the host's own crontab\n", File.ReadAllText(host["spool/root"]));

        // A link as the crontab itself (the spool is a real directory) is refused as well.
        using var image2 = new TempDir("cronimg2");
        Directory.CreateDirectory(image2["var/spool/cron/crontabs"]);
        File.CreateSymbolicLink(image2["var/spool/cron/crontabs/root"], host["spool/root"]);
        var leaf = Cron($"cron://imgjob3.add(root={image2.Path},schedule=@daily)", "--", "/bin/true");
        Assert.False(leaf.Ok, leaf.ToString());
        Assert.Equal(before, Snapshot(host.Path));
    }

    [Fact]
    public void A_users_own_marker_for_roots_job_id_is_ambiguous_not_a_hijack()
    {
        Assert.True(Cron($"cron://dupjob.add({R},schedule=@daily)", "--", "/bin/true").Ok);
        // nobody writes a block with the same id into nobody's own crontab (read before root's).
        var forged = "# BEGIN resh dupjob\n@hourly /bin/echo forged\n# END resh dupjob\n";
        File.WriteAllText(_root["var/spool/cron/crontabs/nobody"], forged);

        var remove = Cron($"cron://dupjob.remove({R})");
        Assert.Equal("conflict", remove.ErrorCode);
        Assert.Contains("user=", remove.Envelope["error"]!["hint"]!.GetValue<string>());
        var run = Cron($"cron://dupjob.run-now({R})");
        Assert.Equal("conflict", run.ErrorCode);
        Assert.Equal(forged, File.ReadAllText(_root["var/spool/cron/crontabs/nobody"]));
        Assert.Contains("# BEGIN resh dupjob", File.ReadAllText(RootCrontab));

        var mine = Cron($"cron://dupjob.remove({R},user=root)");
        Assert.True(mine.Ok, mine.ToString());
        Assert.DoesNotContain("dupjob", File.ReadAllText(RootCrontab));
        Assert.Equal(forged, File.ReadAllText(_root["var/spool/cron/crontabs/nobody"]));
    }

    static string Snapshot(string dir) => string.Join("\n", Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
        .Select(p => $"{p} {File.GetUnixFileMode(p)} {(File.Exists(p) ? File.ReadAllText(p) : "")}"));
}
