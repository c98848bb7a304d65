using System.Diagnostics;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Backup.BackupSupport;

namespace Resh.Handles.Tests.Backup;

/// <summary>backup:// on real borg repositories in throwaway directories.</summary>
public sealed class BackupBorgTests : IDisposable
{
    readonly TempDir _dir = new("backup-borg");
    string Repo => _dir["repo"];
    string Src => _dir["src"];
    string Stage(string verb) => $"backup://{Repo}.{verb}";

    public BackupBorgTests() => MakeTree(Src);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_borg_repository_round_trips_a_tree_and_keep_rules_remove_the_older_archive()
    {
        var init = Run(Stage("init"), "backend=borg", PasswordArg);
        Assert.True(init.Ok, init.ToString());
        Assert.True(File.Exists(Path.Combine(Repo, "README")));
        // The kind of an existing repository is read from its layout: no backend= from here on.
        var first = Run(Stage("create"), $"paths={Src}", "name=first", "tags=a", "tags=b", PasswordArg);
        Assert.True(first.Ok, first.ToString());
        Assert.Equal("borg", first.Result!["backend"]!.GetValue<string>());
        Assert.Equal("first", first.Result!["snapshot"]!.GetValue<string>());
        Assert.Equal(5, first.Result!["files_new"]!.GetValue<long>());

        File.AppendAllText(Path.Combine(Src, "run.sh"), "echo more\n");
        var second = Run(Stage("create"), $"paths={Src}", "name=second", PasswordArg);
        Assert.True(second.Ok, second.ToString());
        // borg counts by its files cache: a changed file is M when the cache knew it, else A (a first run's files were too new to cache).
        Assert.InRange(second.Result!["files_new"]!.GetValue<long>() + second.Result!["files_changed"]!.GetValue<long>(), 1, 5);

        var list = Run(Stage("list"), PasswordArg);
        Assert.True(list.Ok, list.ToString());
        var archives = list.Result!["snapshots"]!.AsArray();
        Assert.Equal(["first", "second"], archives.Select(a => a!["id"]!.GetValue<string>()));
        Assert.Equal(["a", "b"], archives[0]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));

        var ls = Run(Stage("ls"), "snapshot=first", $"path={Src}/conf-link", PasswordArg);
        Assert.True(ls.Ok, ls.ToString());
        var link = Assert.Single(ls.Result!["entries"]!.AsArray());
        Assert.Equal("symlink", link!["type"]!.GetValue<string>());
        Assert.Equal("etc/app/app.conf", link["link"]!.GetValue<string>());

        var diff = Run(Stage("diff"), "from=first", "to=second", PasswordArg);
        Assert.True(diff.Ok, diff.ToString());
        Assert.Equal([$"{Src}/run.sh"], diff.Result!["modified"]!.AsArray().Select(p => p!.GetValue<string>()));

        var to = _dir["restore"];
        var restore = Run(Stage("restore"), $"to={to}", PasswordArg); // latest = second
        Assert.True(restore.Ok, restore.ToString());
        Assert.Equal("second", restore.Result!["snapshot"]!.GetValue<string>());
        AssertRestored(Src, to);

        var forget = Run(Stage("forget"), "keep_last=1", "--dry-run", PasswordArg);
        Assert.True(forget.Ok, forget.ToString());
        Assert.Equal(["first"], forget.Result!["removed"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(["second"], forget.Result!["kept"]!.AsArray().Select(x => x!.GetValue<string>()));
        var real = Run(Stage("forget"), "keep_last=1", "prune=true", PasswordArg);
        Assert.True(real.Ok, real.ToString());
        Assert.True(real.Changed);
        Assert.Equal(["second"], Run(Stage("list"), PasswordArg).Result!["snapshots"]!.AsArray().Select(a => a!["id"]!.GetValue<string>()));

        var check = Run(Stage("check"), PasswordArg);
        Assert.True(check.Ok, check.ToString());
        Assert.True(check.Result!["intact"]!.GetValue<bool>());
    }

    [Fact]
    public void Wrong_password_and_a_held_lock_are_permission_denied_and_conflict()
    {
        Assert.True(Run(Stage("init"), "backend=borg", PasswordArg).Ok);
        var wrong = RunWith("Not-the-password-42", Stage("list"), PasswordArg);
        Assert.Equal("permission_denied", wrong.ErrorCode);
        var mismatch = Run(Stage("list"), "backend=restic", PasswordArg);
        Assert.Equal("conflict", mismatch.ErrorCode);

        var pwFile = _dir.File("pw", Password);
        var psi = new ProcessStartInfo("borg") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "with-lock", Repo, "sleep", "300" }) psi.ArgumentList.Add(a);
        psi.Environment["BORG_PASSCOMMAND"] = "cat " + pwFile;
        using var holder = Process.Start(psi)!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (!Directory.Exists(Path.Combine(Repo, "lock.exclusive")) && DateTime.UtcNow < deadline) Thread.Sleep(100);
            Assert.True(Directory.Exists(Path.Combine(Repo, "lock.exclusive")));
            var locked = Run(Stage("create"), $"paths={Src}", PasswordArg);
            Assert.Equal("conflict", locked.ErrorCode);
            Assert.Contains(".unlock", locked.Envelope["error"]!["hint"]!.GetValue<string>());
        }
        finally
        {
            holder.Kill(true);
            holder.WaitForExit(30_000);
        }
        var unlock = Run(Stage("unlock"), PasswordArg);
        Assert.True(unlock.Ok, unlock.ToString());
        Assert.False(Directory.Exists(Path.Combine(Repo, "lock.exclusive")));
    }
}
