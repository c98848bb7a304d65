using System.Diagnostics;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Backup.BackupSupport;

namespace Resh.Handles.Tests.Backup;

/// <summary>backup:// on real restic repositories in throwaway directories.</summary>
public sealed class BackupResticTests : IDisposable
{
    readonly TempDir _dir = new("backup-restic");
    string Repo => _dir["repo"];
    string Src => _dir["src"];
    string Stage(string verb) => $"backup://{Repo}.{verb}";

    public BackupResticTests() => MakeTree(Src);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_issue_call_backs_up_and_a_restore_gives_back_the_tree_file_by_file()
    {
        var init = Run($"backup://{Repo}.init({PasswordArg})");
        Assert.True(init.Ok, init.ToString());
        Assert.True(init.Changed);
        Assert.Equal("restic", init.Result!["backend"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(Repo, "config")));
        var again = Run($"backup://{Repo}.init({PasswordArg})");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed);
        Assert.True(again.Result!["existed"]!.GetValue<bool>());

        // Exactly the issue's form: paths= and password=env:... inside the parentheses.
        var first = Run($"backup://{Repo}.create(paths={Src},{PasswordArg})");
        Assert.True(first.Ok, first.ToString());
        Assert.True(first.Changed);
        var id1 = first.Result!["snapshot"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{8}$", id1);
        Assert.Equal(5, first.Result!["files_new"]!.GetValue<long>()); // app.conf, key, blob.bin, empty, run.sh
        Assert.True(first.Result!["bytes_added"]!.GetValue<long>() > 0);

        File.AppendAllText(Path.Combine(Src, "run.sh"), "echo more\n");
        File.WriteAllText(Path.Combine(Src, "new.txt"), "new\n");
        File.Delete(Path.Combine(Src, "empty"));
        var second = Run(Stage("create"), $"paths={Src}", "tags=nightly", "excludes=*.tmp", PasswordArg);
        Assert.True(second.Ok, second.ToString());
        Assert.Equal(1, second.Result!["files_new"]!.GetValue<long>());
        Assert.Equal(1, second.Result!["files_changed"]!.GetValue<long>());
        var id2 = second.Result!["snapshot"]!.GetValue<string>();

        var list = Run(Stage("list"), PasswordArg);
        Assert.True(list.Ok, list.ToString());
        var snaps = list.Result!["snapshots"]!.AsArray();
        Assert.Equal([id1, id2], snaps.Select(s => s!["id"]!.GetValue<string>()));
        Assert.Equal(["nightly"], snaps[1]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        var tagged = Run(Stage("list"), "tags=nightly", PasswordArg);
        Assert.Single(tagged.Result!["snapshots"]!.AsArray());

        var ls = Run(Stage("ls"), $"snapshot={id2}", $"path={Src}/private", PasswordArg);
        Assert.True(ls.Ok, ls.ToString());
        var entries = ls.Result!["entries"]!.AsArray();
        Assert.Equal([$"{Src}/private", $"{Src}/private/key"], entries.Select(e => e!["path"]!.GetValue<string>()));
        Assert.Equal("0750", entries[0]!["mode"]!.GetValue<string>());
        Assert.Equal("0600", entries[1]!["mode"]!.GetValue<string>());

        var diff = Run(Stage("diff"), $"from={id1}", "to=latest", PasswordArg);
        Assert.True(diff.Ok, diff.ToString());
        Assert.Contains($"{Src}/new.txt", diff.Result!["added"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Contains($"{Src}/empty", diff.Result!["removed"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Contains($"{Src}/run.sh", diff.Result!["modified"]!.AsArray().Select(p => p!.GetValue<string>()));

        var to = _dir["restore"];
        var restore = Run(Stage("restore"), $"to={to}", PasswordArg);
        Assert.True(restore.Ok, restore.ToString());
        AssertRestored(Src, to);

        // A non-empty target is refused unless force; only some paths when asked.
        var refused = Run(Stage("restore"), $"to={to}", PasswordArg);
        Assert.Equal("conflict", refused.ErrorCode);
        var some = _dir["some"];
        var part = Run(Stage("restore"), $"snapshot={id1}", $"paths={Src}/etc", $"to={some}", PasswordArg);
        Assert.True(part.Ok, part.ToString());
        Assert.Equal("port = 8080\nname = \"demo\"\n", File.ReadAllText(Path.Combine(some, Src.TrimStart('/'), "etc/app/app.conf")));
        Assert.False(File.Exists(Path.Combine(some, Src.TrimStart('/'), "run.sh")));

        var check = Run(Stage("check"), PasswordArg);
        Assert.True(check.Ok, check.ToString());
        Assert.True(check.Result!["intact"]!.GetValue<bool>());
        var stats = Run(Stage("stats"), PasswordArg);
        Assert.True(stats.Ok, stats.ToString());
        Assert.Equal(2, stats.Result!["snapshots"]!.GetValue<long>());
        Assert.True(stats.Result!["stored_size"]!.GetValue<long>() > 0);

        // Keep rules: --dry-run names what would go and removes nothing; then it goes, and prune frees the data.
        var dry = Run(Stage("forget"), "keep_last=1", "--dry-run", PasswordArg);
        Assert.True(dry.Ok, dry.ToString());
        Assert.Equal([id1], dry.Result!["removed"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal([id2], dry.Result!["kept"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(2, Run(Stage("list"), PasswordArg).Result!["snapshots"]!.AsArray().Count);
        var forget = Run(Stage("forget"), "keep_last=1", "prune=true", PasswordArg);
        Assert.True(forget.Ok, forget.ToString());
        Assert.True(forget.Changed);
        Assert.True(forget.Result!["pruned"]!.GetValue<bool>());
        Assert.Equal([id2], Run(Stage("list"), PasswordArg).Result!["snapshots"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()));
        var nothing = Run(Stage("forget"), "keep_last=1", PasswordArg);
        Assert.False(nothing.Changed);
    }

    [Fact]
    public void A_restore_never_writes_through_a_link_at_the_target_and_fills_an_empty_directory_in_place()
    {
        Assert.True(Run($"backup://{Repo}.init({PasswordArg})").Ok);
        Assert.True(Run($"backup://{Repo}.create(paths={Src},{PasswordArg})").Ok);

        // to= is a link someone placed (to a directory they want written): refused, nothing written where it leads.
        var victim = _dir["victim"];
        Directory.CreateDirectory(victim);
        var link = _dir["restore-link"];
        File.CreateSymbolicLink(link, victim);
        var refused = Run(Stage("restore"), $"to={link}", PasswordArg);
        Assert.Equal("conflict", refused.ErrorCode);
        Assert.Contains("symbolic link", refused.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Empty(Directory.EnumerateFileSystemEntries(victim));
        var forced = Run(Stage("restore"), $"to={link}", "force=true", PasswordArg);
        Assert.Equal("conflict", forced.ErrorCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(victim));

        // An existing empty directory is filled under its own name and keeps its mode; no private work directory is left.
        var empty = _dir["restore-empty"];
        Directory.CreateDirectory(empty);
        File.SetUnixFileMode(empty, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        var restore = Run(Stage("restore"), $"to={empty}", PasswordArg);
        Assert.True(restore.Ok, restore.ToString());
        AssertRestored(Src, empty);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, File.GetUnixFileMode(empty));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_dir.Path), p => Path.GetFileName(p).Contains("resh-restore"));

        // paths= that match nothing in the snapshot: not_found, and no empty target left looking like a restore.
        var typo = Run(Stage("restore"), $"paths={Src}/no-such-dir", $"to={_dir["restore-typo"]}", PasswordArg);
        Assert.Equal("not_found", typo.ErrorCode);
        Assert.False(Directory.Exists(_dir["restore-typo"]));

        // A restore that fails (wrong snapshot) leaves no work directory behind either.
        var missing = Run(Stage("restore"), "snapshot=deadbeef", $"to={_dir["restore-none"]}", PasswordArg);
        Assert.False(missing.Ok);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_dir.Path), p => Path.GetFileName(p).Contains("resh-restore"));
        Assert.False(Directory.Exists(_dir["restore-none"]));
    }

    [Fact]
    public void Wrong_password_missing_repository_and_missing_arguments_get_their_codes()
    {
        Assert.True(Run(Stage("init"), PasswordArg).Ok);
        var wrong = RunWith("Not-the-password-42", Stage("list"), PasswordArg);
        Assert.Equal("permission_denied", wrong.ErrorCode);
        Assert.NotNull(wrong.Envelope["error"]!["hint"]);
        Assert.DoesNotContain("Not-the-password-42", wrong.Stdout);

        var missing = Run($"backup://{_dir["nothing"]}.list", PasswordArg);
        Assert.Equal("not_found", missing.ErrorCode);
        Assert.Contains(".init", missing.Envelope["error"]!["hint"]!.GetValue<string>());

        var noPassword = Run(Stage("list"));
        Assert.Equal("usage", noPassword.ErrorCode);
        var noPath = Run(Stage("create"), $"paths={_dir["absent"]}", PasswordArg);
        Assert.Equal("not_found", noPath.ErrorCode);
        var noRule = Run(Stage("forget"), PasswordArg);
        Assert.Equal("usage", noRule.ErrorCode);

        // A literal password works but warns; the envelope shows the source, never the value.
        var literal = Run(Stage("list"), "password=" + Password);
        Assert.True(literal.Ok, literal.ToString());
        Assert.Contains(literal.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("literal secret"));
    }

    [Fact]
    public void A_missing_tool_is_unsupported_with_the_package_to_install_and_option_like_ids_are_refused()
    {
        // No restic or borg on PATH (resh also looks in the sbin directories, where neither lives).
        var noTool = RunEnv(new() { ["PATH"] = "/nonexistent" }, Stage("init"), "backend=restic", PasswordArg);
        Assert.Equal("unsupported", noTool.ErrorCode);
        Assert.Contains("apt-get install restic", noTool.Envelope["error"]!["hint"]!.GetValue<string>());
        var noBorg = RunEnv(new() { ["PATH"] = "/nonexistent" }, Stage("init"), "backend=borg", PasswordArg);
        Assert.Contains("apt-get install borgbackup", noBorg.Envelope["error"]!["hint"]!.GetValue<string>());

        Assert.True(Run(Stage("init"), PasswordArg).Ok);
        foreach (var id in new[] { "--help", "-r/tmp", "a/b" })
        {
            var bad = Run(Stage("ls"), $"snapshot={id}", PasswordArg);
            Assert.Equal("usage", bad.ErrorCode);
        }
        var sftpHost = Run("backup://sftp:-oProxyCommand=touch /tmp/x:/r.list", PasswordArg);
        Assert.Equal("usage", sftpHost.ErrorCode);
    }

    [Fact]
    public void A_repository_locked_by_a_running_restic_is_a_conflict_pointing_at_unlock()
    {
        Assert.True(Run(Stage("init"), PasswordArg).Ok);
        var pwFile = _dir.File("pw", Password);
        // `restic backup --stdin` holds its lock while it waits for stdin: a forget (exclusive lock) must be refused.
        var psi = new ProcessStartInfo("restic") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--repo", Repo, "backup", "--stdin", "--stdin-filename", "held" }) psi.ArgumentList.Add(a);
        psi.Environment["RESTIC_PASSWORD_FILE"] = pwFile;
        using var holder = Process.Start(psi)!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!Directory.EnumerateFiles(Path.Combine(Repo, "locks")).Any() && DateTime.UtcNow < deadline) Thread.Sleep(100);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Repo, "locks")));
            var locked = Run(Stage("forget"), "keep_last=1", PasswordArg);
            Assert.Equal("conflict", locked.ErrorCode);
            Assert.Contains(".unlock", locked.Envelope["error"]!["hint"]!.GetValue<string>());
        }
        finally
        {
            holder.Kill(true);
            holder.WaitForExit(30_000);
        }
        // The killed run left its lock: unlock removes it (stale: its process is gone).
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Repo, "locks")));
        var unlock = Run(Stage("unlock"), PasswordArg);
        Assert.True(unlock.Ok, unlock.ToString());
        Assert.True(unlock.Changed);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Repo, "locks")));
    }
}
