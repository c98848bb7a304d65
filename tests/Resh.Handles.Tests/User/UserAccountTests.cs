using System.Globalization;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.User;

[Collection(UserCollection.Name)]
public sealed class UserAccountTests(UserSandbox box)
{
    [Fact]
    public void The_issue_calls_add_inspect_lock_and_delete_an_account_as_written()
    {
        var add = box.Resh("user://deploy.add", "shell=/bin/bash", "groups=adm", "create_home=true");
        Assert.True(add.Ok, add.ToString());
        Assert.True(add.Changed);
        var pw = box.Getent("passwd", "deploy");
        Assert.Equal("/bin/bash", pw[6]);
        Assert.Equal("/home/deploy", pw[5]);
        Assert.True(Directory.Exists(box.Home("deploy")));
        Assert.Contains("deploy", box.Getent("group", "adm")[3].Split(','));
        Assert.Equal(["useradd", "-G", "adm", "-s", "/bin/bash", "-m", "--", "deploy"], add.Result!["commands"]![0]!.AsArray().Select(x => x!.GetValue<string>()));

        var again = box.Resh("user://deploy.add", "shell=/bin/bash", "groups=adm", "create_home=true");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed);

        var info = box.Resh("user://deploy.info");
        Assert.True(info.Ok, info.ToString());
        Assert.Equal(long.Parse(pw[2], CultureInfo.InvariantCulture), info.Result!["uid"]!.GetValue<long>());
        Assert.Equal(long.Parse(pw[3], CultureInfo.InvariantCulture), info.Result!["gid"]!.GetValue<long>());
        Assert.Equal("deploy", info.Result!["group"]!.GetValue<string>());
        Assert.Equal(["adm"], info.Result!["groups"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.True(info.Result!["home_exists"]!.GetValue<bool>());
        var shadow = box.ShadowLine("deploy")!;
        Assert.Equal(shadow[1].StartsWith('!'), info.Result!["locked"]!.GetValue<bool>());
        Assert.Equal("none", info.Result!["password"]!.GetValue<string>()); // useradd leaves "!": no password yet

        // A new account has no password, so it is already locked: lock is truthfully unchanged.
        var lockNew = box.Resh("user://deploy.lock");
        Assert.True(lockNew.Ok, lockNew.ToString());
        Assert.False(lockNew.Changed);

        var delete = box.Resh("user://deploy.delete", "remove_home=true");
        Assert.True(delete.Ok, delete.ToString());
        Assert.True(delete.Changed);
        Assert.Empty(box.Getent("passwd", "deploy"));
        Assert.False(Directory.Exists(box.Home("deploy")));
        Assert.Null(box.ShadowLine("deploy"));
        var deleteAgain = box.Resh("user://deploy.delete", "remove_home=true");
        Assert.True(deleteAgain.Ok);
        Assert.False(deleteAgain.Changed);
    }

    [Fact]
    public void Passwords_go_through_stdin_lock_and_unlock_truthfully_and_match_the_shadow_hash()
    {
        Assert.True(box.Resh("user://pwuser.add").Ok);
        const string secret = "S3cret-passw0rd!";
        var set = box.ReshIn(secret + "\n", null, "user://pwuser.passwd", "password=@-");
        Assert.True(set.Ok, set.ToString());
        Assert.True(set.Changed);
        Assert.DoesNotContain(secret, set.Stdout + set.Stderr);
        Assert.Equal(["chpasswd", "-e"], set.Result!["commands"]![0]!.AsArray().Select(x => x!.GetValue<string>()));
        var hash = box.ShadowLine("pwuser")![1];
        Assert.StartsWith("$6$", hash); // ENCRYPT_METHOD SHA512 in this machine's login.defs
        // The system's own crypt(3) (through perl) agrees that the hash is of this password.
        var (_, check, _) = box.Exec("perl", "-e", "print crypt($ARGV[0], $ARGV[1])", secret, hash);
        Assert.Equal(hash, check);

        var same = box.ReshIn(secret + "\n", null, "user://pwuser.passwd", "password=@-");
        Assert.True(same.Ok, same.ToString());
        Assert.False(same.Changed);
        Assert.Equal(hash, box.ShadowLine("pwuser")![1]);

        Assert.True(box.Resh("user://pwuser.lock").Changed);
        Assert.StartsWith("!" + hash, box.ShadowLine("pwuser")![1]);
        Assert.True(box.Resh("user://pwuser.info").Result!["locked"]!.GetValue<bool>());
        Assert.False(box.Resh("user://pwuser.lock").Changed);
        Assert.True(box.Resh("user://pwuser.unlock").Changed);
        Assert.Equal(hash, box.ShadowLine("pwuser")![1]);
        Assert.False(box.Resh("user://pwuser.unlock").Changed);

        // User review 12: the same password with another scheme= is rehashed in that scheme (it was ignored), at passwd's cost.
        var yes = box.ReshIn(secret + "\n", null, "user://pwuser.passwd", "password=@-", "scheme=yescrypt");
        Assert.True(yes.Changed, yes.ToString());
        Assert.StartsWith("$y$", box.ShadowLine("pwuser")![1]);
        Assert.False(box.ReshIn(secret + "\n", null, "user://pwuser.passwd", "password=@-", "scheme=yescrypt").Changed);
        Assert.False(box.ReshIn(secret + "\n", null, "user://pwuser.passwd", "password=@-").Changed); // no scheme=: the same password is enough
        var bcrypt = box.ReshIn(secret + "\n", null, "user://pwuser.passwd", "password=@-", "scheme=bcrypt");
        Assert.True(bcrypt.Changed, bcrypt.ToString());
        var bhash = box.ShadowLine("pwuser")![1];
        Assert.StartsWith("$2b$13$", bhash); // BCRYPT_MIN_ROUNDS' default in shadow-utils, not libxcrypt's 5
        Assert.Equal(bhash, box.Exec("perl", "-e", "print crypt($ARGV[0], $ARGV[1])", secret, bhash).Stdout);
        var pre = box.Exec("openssl", "passwd", "-6", "-salt", "abcdefgh", "other").Stdout.Trim();
        var byHash = box.ReshIn(pre + "\n", null, "user://pwuser.passwd", "hash=@-");
        Assert.True(byHash.Changed, byHash.ToString());
        Assert.Equal(pre, box.ShadowLine("pwuser")![1]);
        Assert.DoesNotContain(pre, byHash.Stdout);

        var nopw = box.Resh("user://pwuser.passwd", "hash=not-a-hash");
        Assert.Equal("usage", nopw.ErrorCode);
        Assert.True(box.Resh("user://pwuser.delete").Ok);
    }

    [Fact]
    public void Modify_and_ensure_report_per_field_changes_and_dry_run_changes_nothing()
    {
        Assert.True(box.Resh("user://group/resh-devs.group.add").Ok);
        Assert.True(box.Resh("user://modme.add", "shell=/bin/sh").Ok);
        var before = File.ReadAllText(box.Etc("passwd"));
        var dry = box.Resh("user://modme.modify", "shell=/bin/bash", "comment=Mod Me", "--dry-run");
        Assert.True(dry.Ok, dry.ToString());
        Assert.True(dry.Changed);
        Assert.Equal(before, File.ReadAllText(box.Etc("passwd")));
        var fields = dry.Result!["changes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>()).ToList();
        Assert.Equal(["shell", "comment"], fields);

        var mod = box.Resh("user://modme.modify", "shell=/bin/bash", "comment=Mod Me", "groups=resh-devs");
        Assert.True(mod.Changed, mod.ToString());
        var pw = box.Getent("passwd", "modme");
        Assert.Equal("/bin/bash", pw[6]);
        Assert.Equal("Mod Me", pw[4]);
        Assert.Contains("modme", box.Getent("group", "resh-devs")[3].Split(','));
        Assert.False(box.Resh("user://modme.modify", "shell=/bin/bash", "comment=Mod Me", "groups=resh-devs").Changed);

        // groups= is exact unless append=true.
        var exact = box.Resh("user://modme.modify", "groups=adm");
        Assert.True(exact.Changed);
        Assert.DoesNotContain("modme", box.Getent("group", "resh-devs")[3].Split(','));
        Assert.True(box.Resh("user://modme.modify", "groups=resh-devs", "append=true").Changed);
        Assert.Contains("modme", box.Getent("group", "adm")[3].Split(','));
        Assert.Contains("modme", box.Getent("group", "resh-devs")[3].Split(','));

        var ensure = box.Resh("user://ensured.ensure", "shell=/bin/bash", "uid=24777");
        Assert.True(ensure.Changed, ensure.ToString());
        Assert.Equal("created", ensure.Result!["action"]!.GetValue<string>());
        Assert.Equal("24777", box.Getent("passwd", "ensured")[2]);
        var ensure2 = box.Resh("user://ensured.ensure", "shell=/bin/sh", "uid=24777");
        Assert.Equal("modified", ensure2.Result!["action"]!.GetValue<string>());
        var change = ensure2.Result!["changes"]!.AsArray().Single()!;
        Assert.Equal("shell", change["field"]!.GetValue<string>());
        Assert.Equal("/bin/bash", change["from"]!.GetValue<string>());
        Assert.Equal("/bin/sh", change["to"]!.GetValue<string>());
        Assert.False(box.Resh("user://ensured.ensure", "shell=/bin/sh", "uid=24777").Changed);
        Assert.True(box.Resh("user://ensured.ensure", "state=absent").Changed);
        Assert.Empty(box.Getent("passwd", "ensured"));

        var conflict = box.Resh("user://modme.add", "shell=/bin/zsh");
        Assert.Equal("conflict", conflict.ErrorCode);
        Assert.True(box.Resh("user://modme.delete", "remove_home=true").Ok);
        Assert.True(box.Resh("user://group/resh-devs.group.delete").Ok);
    }

    [Fact]
    public void Delete_refuses_root_and_system_accounts_without_force()
    {
        var before = File.ReadAllText(box.Etc("passwd"));
        Assert.Equal("conflict", box.Resh("user://root.delete").ErrorCode);
        Assert.Equal("conflict", box.Resh("user://daemon.delete").ErrorCode);
        Assert.Equal(before, File.ReadAllText(box.Etc("passwd")));
        Assert.True(box.Resh("user://daemon.delete", "force=true", "--dry-run").Changed);
        Assert.Equal(before, File.ReadAllText(box.Etc("passwd")));
    }

    [Fact]
    public void List_matches_getent_and_filters_by_kind_shell_and_group()
    {
        var (_, getent, _) = box.Exec("getent", "passwd");
        var names = getent.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[0]).ToList();
        var list = box.Resh("user://.list");
        Assert.True(list.Ok, list.ToString());
        Assert.Equal(names, list.Result!["users"]!.AsArray().Select(u => u!["name"]!.GetValue<string>()));
        Assert.Equal("nss", list.Result!["source"]!.GetValue<string>());
        var system = box.Resh("user://.list", "kind=system");
        Assert.All(system.Result!["users"]!.AsArray(), u => Assert.True(u!["uid"]!.GetValue<long>() < 1000 || u["uid"]!.GetValue<long>() > 60000));
        Assert.Contains(system.Result!["users"]!.AsArray(), u => u!["name"]!.GetValue<string>() == "root");
        var bash = box.Resh("user://.list", "shell=/bin/bash");
        Assert.All(bash.Result!["users"]!.AsArray(), u => Assert.Equal("/bin/bash", u!["shell"]!.GetValue<string>()));
        var exists = box.Resh("user://nobody-here.exists");
        Assert.False(exists.Result!["exists"]!.GetValue<bool>());
        Assert.Equal("not_found", box.Resh("user://nobody-here.info").ErrorCode);
        var table = box.Resh("user://.list", "--format", "table");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("root", table.Stdout);
    }

    [Fact]
    public void Groups_and_members_are_managed_and_match_getent()
    {
        var add = box.Resh("user://group/resh-ops.group.add", "gid=24600");
        Assert.True(add.Changed, add.ToString());
        Assert.Equal("24600", box.Getent("group", "resh-ops")[2]);
        Assert.False(box.Resh("user://group/resh-ops.group.add", "gid=24600").Changed);
        Assert.Equal("conflict", box.Resh("user://group/resh-ops.group.add", "gid=24601").ErrorCode);
        Assert.True(box.Resh("user://memb.add").Ok);
        var m = box.Resh("user://group/resh-ops.member.add", "user=memb");
        Assert.True(m.Changed, m.ToString());
        Assert.Equal(["gpasswd", "-a", "memb", "--", "resh-ops"], m.Result!["commands"]![0]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal("memb", box.Getent("group", "resh-ops")[3]);
        Assert.False(box.Resh("user://memb.member.add", "group=resh-ops").Changed);
        var members = box.Resh("user://group/resh-ops.group.members");
        Assert.Equal(["memb"], members.Result!["members"]!.AsArray().Select(x => x!.GetValue<string>()));
        var primary = box.Resh("user://group/memb.group.members");
        Assert.Equal(["memb"], primary.Result!["primary_members"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal("conflict", box.Resh("user://group/memb.group.delete").ErrorCode); // memb's primary group
        Assert.True(box.Resh("user://group/resh-ops.member.remove", "user=memb").Changed);
        Assert.Equal("", box.Getent("group", "resh-ops")[3]);
        Assert.False(box.Resh("user://group/resh-ops.member.remove", "user=memb").Changed);
        Assert.True(box.Resh("user://group/resh-ops.group.delete").Changed);
        Assert.Empty(box.Getent("group", "resh-ops"));
        Assert.False(box.Resh("user://group/resh-ops.group.delete").Changed);
        Assert.Equal("conflict", box.Resh("user://group/adm.group.delete").ErrorCode);
        var groups = box.Resh("user://.group.list");
        Assert.Contains(groups.Result!["groups"]!.AsArray(), g => g!["name"]!.GetValue<string>() == "adm");
        Assert.True(box.Resh("user://memb.delete").Ok);
    }

    [Fact]
    public void Expiry_dates_and_forced_password_changes_land_in_shadow()
    {
        Assert.True(box.Resh("user://expuser.add").Ok);
        var set = box.Resh("user://expuser.expire", "date=2030-01-01");
        Assert.True(set.Changed, set.ToString());
        var days = (new DateTime(2030, 1, 1) - DateTime.UnixEpoch).Days;
        Assert.Equal(days.ToString(CultureInfo.InvariantCulture), box.ShadowLine("expuser")![7]);
        Assert.Equal("2030-01-01", box.Resh("user://expuser.info").Result!["account_expires"]!.GetValue<string>());
        Assert.False(box.Resh("user://expuser.expire", "date=2030-01-01").Changed);
        Assert.True(box.Resh("user://expuser.expire", "password=true").Changed);
        Assert.Equal("0", box.ShadowLine("expuser")![2]);
        Assert.True(box.Resh("user://expuser.info").Result!["password_must_change"]!.GetValue<bool>());
        Assert.True(box.Resh("user://expuser.expire", "date=never").Changed);
        Assert.Equal("", box.ShadowLine("expuser")![7]);
        Assert.True(box.Resh("user://expuser.delete").Ok);
    }

    [Fact]
    public void List_reads_every_account_even_when_two_groups_share_a_gid()
    {
        // Two groups with one GID are legal (groupadd -o); the listing built a GID map that threw on the second one.
        var gid = box.Getent("group", "users")[2];
        Assert.Equal(0, box.Exec("groupadd", "-o", "-g", gid, "resh-dupgid").Code);
        try
        {
            var list = box.Resh("user://.list");
            Assert.True(list.Ok, list.ToString());
            var (_, getent, _) = box.Exec("getent", "passwd");
            Assert.Equal(getent.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, list.Result!["count"]!.GetValue<int>());
            Assert.Equal("root", list.Result!["users"]!.AsArray().Single(u => u!["name"]!.GetValue<string>() == "root")!["group"]!.GetValue<string>());
        }
        finally { box.Exec("groupdel", "resh-dupgid"); }
    }

    [Fact]
    public void Expire_sets_password_aging_clears_a_forced_change_and_refuses_dates_before_1970()
    {
        // User review 20: no chage -M/-m/-W, password=false was "Nothing to do", date=1969-01-01 failed instead of usage.
        Assert.True(box.Resh("user://ageuser.add").Ok);
        try
        {
            var before = File.ReadAllText(box.Etc("shadow"));
            Assert.Equal("usage", box.Resh("user://ageuser.expire", "date=1969-01-01").ErrorCode);
            Assert.Equal("usage", box.Resh("user://ageuser.expire", "date=1970-01-01").ErrorCode);
            Assert.Equal(before, File.ReadAllText(box.Etc("shadow")));
            var aging = box.Resh("user://ageuser.expire", "max_days=90", "min_days=1", "warn_days=7", "inactive_days=30");
            Assert.True(aging.Changed, aging.ToString());
            Assert.Equal(["1", "90", "7", "30"], box.ShadowLine("ageuser")![3..7]);
            var info = box.Resh("user://ageuser.info").Result!;
            Assert.Equal(90, info["password_max_days"]!.GetValue<int>());
            Assert.False(box.Resh("user://ageuser.expire", "max_days=90", "min_days=1", "warn_days=7", "inactive_days=30").Changed);
            Assert.True(box.Resh("user://ageuser.expire", "max_days=-1", "inactive_days=-1").Changed);
            Assert.Equal(["", ""], new[] { box.ShadowLine("ageuser")![4], box.ShadowLine("ageuser")![6] });
            Assert.False(box.Resh("user://ageuser.expire", "max_days=-1").Changed);

            Assert.False(box.Resh("user://ageuser.expire", "password=false").Changed); // no change was forced
            Assert.True(box.Resh("user://ageuser.expire", "password=true").Changed);
            Assert.Equal("0", box.ShadowLine("ageuser")![2]);
            var clear = box.Resh("user://ageuser.expire", "password=false");
            Assert.True(clear.Changed, clear.ToString());
            Assert.Equal(((int)(DateTime.UtcNow.Date - DateTime.UnixEpoch).TotalDays).ToString(CultureInfo.InvariantCulture), box.ShadowLine("ageuser")![2]);
            Assert.False(box.Resh("user://ageuser.info").Result!["password_must_change"]!.GetValue<bool>());
        }
        finally { box.Resh("user://ageuser.delete"); }
    }

    [Fact]
    public void Sudo_grants_are_visudo_checked_drop_ins_and_revoke_removes_them()
    {
        Assert.True(box.Resh("user://sudoer.add").Ok);
        var grant = box.Resh("user://sudoer.sudo.grant", "nopasswd=true", "commands=/usr/bin/systemctl restart nginx");
        Assert.True(grant.Changed, grant.ToString());
        var file = box.Etc("sudoers.d/resh-sudoer");
        Assert.True(File.Exists(file));
        Assert.Equal((UnixFileMode)0x120, File.GetUnixFileMode(file));
        Assert.Contains("sudoer ALL=(ALL:ALL) NOPASSWD: /usr/bin/systemctl restart nginx", File.ReadAllText(file));
        Assert.Equal(0, box.Exec("visudo", "-c", "-f", "/etc/sudoers.d/resh-sudoer").Code);
        // sudo itself reads it: the rule shows in sudo -l for the user.
        var (code, listing, _) = box.Exec("sudo", "-l", "-U", "sudoer");
        Assert.Equal(0, code);
        Assert.Contains("/usr/bin/systemctl restart nginx", listing);
        Assert.False(box.Resh("user://sudoer.sudo.grant", "nopasswd=true", "commands=/usr/bin/systemctl restart nginx").Changed);
        var bad = box.Resh("user://sudoer.sudo.grant", "commands=systemctl");
        Assert.Equal("usage", bad.ErrorCode);
        Assert.Contains("NOPASSWD", File.ReadAllText(file)); // untouched by the refused call
        Assert.Empty(Directory.GetFiles(box.Etc("sudoers.d"), ".resh-*")); // no temp files left behind
        var group = box.Resh("user://group/adm.sudo.grant");
        Assert.True(group.Changed, group.ToString());
        Assert.Contains("%adm ALL=(ALL:ALL) ALL", File.ReadAllText(box.Etc("sudoers.d/resh-group-adm")));
        Assert.True(box.Resh("user://group/adm.sudo.revoke").Changed);
        Assert.True(box.Resh("user://sudoer.sudo.revoke").Changed);
        Assert.False(File.Exists(file));
        Assert.False(box.Resh("user://sudoer.sudo.revoke").Changed);
        Assert.True(box.Resh("user://sudoer.delete").Ok);
    }

    [Fact]
    public void Authorized_keys_are_added_listed_and_removed_with_the_right_owner_and_modes()
    {
        Assert.True(box.Resh("user://keyuser.add").Ok);
        using var tmp = new TempDir("keys");
        Sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "laptop", "-f", tmp["k1"]);
        Sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "old-laptop", "-f", tmp["k2"]);
        var add = box.Resh("user://keyuser.key.add", $"key=@{tmp["k1.pub"]}");
        Assert.True(add.Changed, add.ToString());
        Assert.False(box.Resh("user://keyuser.key.add", $"key=@{tmp["k1.pub"]}").Changed);
        Assert.True(box.Resh("user://keyuser.key.add", $"key=@{tmp["k2.pub"]}").Changed);
        var file = box.Home("keyuser/.ssh/authorized_keys");
        var uid = int.Parse(box.Getent("passwd", "keyuser")[2], CultureInfo.InvariantCulture);
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(file));
        Assert.Equal((UnixFileMode)0x1c0, File.GetUnixFileMode(box.Home("keyuser/.ssh")));
        Assert.Equal(uid, Stat(file));
        Assert.Equal(uid, Stat(box.Home("keyuser/.ssh")));
        var list = box.Resh("user://keyuser.keys.list");
        Assert.Equal(2, list.Result!["count"]!.GetValue<int>());
        var fp = Sh("ssh-keygen", "-l", "-f", tmp["k1.pub"]).Split(' ')[1];
        Assert.Equal(fp, list.Result!["keys"]![0]!["fingerprint"]!.GetValue<string>());
        var rm = box.Resh("user://keyuser.key.remove", "comment=old-laptop");
        Assert.True(rm.Changed, rm.ToString());
        Assert.Single(File.ReadAllLines(file), l => l.Length > 0);
        Assert.False(box.Resh("user://keyuser.key.remove", "comment=old-laptop").Changed);
        Assert.True(box.Resh("user://keyuser.key.remove", $"fingerprint={fp}").Changed);

        // A symlinked ~/.ssh (pointing at /etc here) is refused, not followed.
        Directory.Delete(box.Home("keyuser/.ssh"), true);
        File.CreateSymbolicLink(box.Home("keyuser/.ssh"), "/etc");
        var evil = box.Resh("user://keyuser.key.add", $"key=@{tmp["k1.pub"]}");
        Assert.Equal("conflict", evil.ErrorCode);
        Assert.False(File.Exists(box.Etc("authorized_keys")));
        File.Delete(box.Home("keyuser/.ssh"));
        Assert.True(box.Resh("user://keyuser.delete", "remove_home=true").Ok);
    }

    [Fact]
    public void A_chroot_is_managed_with_root_and_the_tools_get_their_root_option()
    {
        using var root = new TempDir("chroot");
        Directory.CreateDirectory(root["etc/default"]);
        foreach (var f in new[] { "passwd", "group", "shadow", "gshadow", "login.defs" }) File.Copy(box.Etc(f), root[$"etc/{f}"]);
        File.Copy(box.Etc("default/useradd"), root["etc/default/useradd"]);
        Directory.CreateDirectory(root["home"]);
        var sandboxPasswd = File.ReadAllText(box.Etc("passwd"));
        var add = box.Resh("user://chrooted.add", $"root={root.Path}", "uid=24888", "create_home=false");
        Assert.True(add.Ok, add.ToString());
        Assert.Equal(["useradd", "-R", root.Path, "-u", "24888", "-M", "--", "chrooted"], add.Result!["commands"]![0]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Contains(File.ReadAllLines(root["etc/passwd"]), l => l.StartsWith("chrooted:x:24888:", StringComparison.Ordinal));
        Assert.Equal(sandboxPasswd, File.ReadAllText(box.Etc("passwd")));
        var list = box.Resh("user://.list", $"root={root.Path}", "kind=human");
        Assert.Equal("files", list.Result!["source"]!.GetValue<string>());
        Assert.Contains(list.Result!["users"]!.AsArray(), u => u!["name"]!.GetValue<string>() == "chrooted");
        var pw = box.ReshIn("pw-in-chroot\n", null, "user://chrooted.passwd", "password=@-", $"root={root.Path}");
        Assert.True(pw.Changed, pw.ToString());
        Assert.StartsWith("$6$", File.ReadAllLines(root["etc/shadow"]).Single(l => l.StartsWith("chrooted:", StringComparison.Ordinal)).Split(':')[1]);
        Assert.True(box.Resh("user://chrooted.delete", $"root={root.Path}").Changed);
        Assert.DoesNotContain(File.ReadAllLines(root["etc/passwd"]), l => l.StartsWith("chrooted:", StringComparison.Ordinal));
    }

    static string Sh(params string[] argv)
    {
        var r = UserSandbox.RunNs(argv, null, null);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Trim();
    }

    static int Stat(string path) => int.Parse(Sh("stat", "-c", "%u", path), CultureInfo.InvariantCulture);
}
