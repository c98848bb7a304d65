using System.Globalization;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.User;

[Collection(UserCollection.Name)]
public sealed class UserBusyboxTests(UserSandbox box)
{
    [Fact]
    public void The_busybox_backend_runs_alpines_applets_with_the_exact_argv_and_reads_their_errors()
    {
        using var tmp = new TempDir("bb");
        var fixtures = Path.Combine(AppContext.BaseDirectory, "User", "Fixtures", "busybox");
        var bin = Directory.CreateDirectory(tmp["bin"]).FullName;
        var shim = Path.Combine(bin, "bb-shim");
        File.Copy(Path.Combine(fixtures, "bb-shim"), shim);
        File.SetUnixFileMode(shim, (UnixFileMode)0x1ed);
        foreach (var applet in new[] { "adduser", "addgroup", "deluser", "delgroup", "passwd", "chpasswd" }) File.CreateSymbolicLink(Path.Combine(bin, applet), shim);
        var log = tmp["argv.log"];
        var env = new Dictionary<string, string> { ["PATH"] = bin + ":/usr/sbin:/usr/bin:/sbin:/bin", ["BB_LOG"] = log };
        ReshRun Bb(string? stdin, params string[] args) => box.ReshIn(stdin, env, [.. args, "backend=busybox"]);

        var add = Bb(null, "user://bbuser.add", "shell=/bin/sh", "groups=adm", "create_home=false", "comment=Busy Box");
        Assert.True(add.Ok, add.ToString());
        Assert.True(add.Changed);
        Assert.Equal("/bin/sh", box.Getent("passwd", "bbuser")[6]);
        Assert.True(Bb(null, "user://group/bbgrp.group.add", "gid=24650").Changed);
        Assert.True(Bb(null, "user://bbuser.modify", "groups=bbgrp", "append=true").Changed);
        Assert.Equal("unsupported", Bb(null, "user://bbuser.modify", "shell=/bin/bash").ErrorCode);
        Assert.True(Bb("bb-password\n", "user://bbuser.passwd", "password=@-").Changed);
        Assert.True(Bb(null, "user://bbuser.lock").Changed);
        Assert.True(Bb(null, "user://group/bbgrp.member.remove", "user=bbuser").Changed);
        Assert.True(Bb(null, "user://bbuser.delete").Changed);
        Assert.True(Bb(null, "user://group/bbgrp.group.delete").Changed);
        Assert.Equal("unsupported", Bb(null, "user://x.add", $"root={box.Dir}").ErrorCode);

        var calls = File.ReadAllLines(log).Select(l => l.Split('\t')).ToList();
        string[][] expected =
        [
            ["adduser", "-D", "-H", "-g", "Busy Box", "-s", "/bin/sh", "--", "bbuser"],
            ["addgroup", "bbuser", "adm"],
            ["addgroup", "-g", "24650", "bbgrp"],
            ["addgroup", "bbuser", "bbgrp"],
            ["chpasswd", "-e"],
            ["stdin-lines", "1"],
            ["passwd", "-l", "bbuser"],
            ["delgroup", "bbuser", "bbgrp"],
            ["deluser", "bbuser"],
            ["delgroup", "bbgrp"],
        ];
        Assert.Equal(expected.Length, calls.Count);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], calls[i]);
        Assert.DoesNotContain("bb-password", File.ReadAllText(log));

        // An applet's failure message becomes the right code.
        env["BB_FAIL"] = Path.Combine(fixtures, "adduser-in-use.txt");
        var dup = Bb(null, "user://bbdup.add");
        Assert.Equal("conflict", dup.ErrorCode);
        Assert.Contains("in use", dup.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Empty(box.Getent("passwd", "bbdup"));
    }
}

[Collection(UserCollection.Name)]
public sealed class UserHostileInputTests(UserSandbox box)
{
    public static TheoryData<string> BadNames => new()
    {
        "-oroot", "--help", "a\nb", "x;rm -rf /", "$(id)", "`id`", "a b", "../../etc/passwd", "a:b", "12345",
        new string('a', 33), "é", "a\u0000b", "*", "",
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public void Hostile_names_are_usage_errors_and_nothing_changes(string name)
    {
        var passwd = File.ReadAllText(box.Etc("passwd"));
        var group = File.ReadAllText(box.Etc("group"));
        var calls = new Dictionary<string, string[]>
        {
            ["add"] = ["shell=/bin/sh"], ["delete"] = ["remove_home=true"], ["passwd"] = ["hash=$6$abcdefgh$0123456789abcdef"], ["lock"] = [], ["sudo.grant"] = [],
            ["key.add"] = ["key=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBUpvqoMK6O2TpHqC4wHjaxW0y6Mm0vOq0bvu2ZKwB3h"], ["info"] = [],
        };
        foreach (var (verb, args) in calls)
        {
            var r = box.Resh([$"user://{Uri.EscapeDataString(name)}.{verb}", .. args]);
            Assert.True(r.ErrorCode is "usage", $"{verb} {name}: {r}");
            Assert.DoesNotContain("   at ", r.Stdout + r.Stderr);
        }
        var g = box.Resh($"user://group/{Uri.EscapeDataString(name)}.group.add");
        Assert.Equal("usage", g.ErrorCode);
        var member = box.Resh("user://root.member.add", "--args", $"{{\"group\":{System.Text.Json.JsonSerializer.Serialize(name)}}}");
        Assert.Equal("usage", member.ErrorCode);
        Assert.Equal(passwd, File.ReadAllText(box.Etc("passwd")));
        Assert.Equal(group, File.ReadAllText(box.Etc("group")));
    }

    [Fact]
    public void Hostile_field_values_are_refused_before_any_tool_runs()
    {
        var passwd = File.ReadAllText(box.Etc("passwd"));
        Assert.Equal("usage", box.Resh("user://hostile.add", "--args", "{\"comment\":\"x:0:0:root:/root:/bin/bash\"}").ErrorCode);
        Assert.Equal("usage", box.Resh("user://hostile.add", "--args", "{\"comment\":\"a\\nroot2::0:0::/:/bin/sh\"}").ErrorCode);
        Assert.Equal("usage", box.Resh("user://hostile.add", "shell=bash").ErrorCode);
        Assert.Equal("usage", box.Resh("user://hostile.add", "home=relative/home").ErrorCode);
        Assert.Equal("usage", box.Resh("user://hostile.add", "groups=-G").ErrorCode);
        Assert.Equal("usage", box.Resh("user://hostile.add", "expires=tomorrow").ErrorCode);
        Assert.Equal("not_found", box.Resh("user://hostile.add", "groups=no-such-group").ErrorCode);
        Assert.Equal("usage", box.Resh("user://root.sudo.grant", "--args", "{\"commands\":[\"/bin/true\\nALL ALL=(ALL) NOPASSWD: ALL\"]}").ErrorCode);
        Assert.Equal("usage", box.Resh("user://root.sudo.grant", "runas=-u").ErrorCode);
        Assert.Equal("usage", box.Resh("user://root.key.add", "key=-----BEGIN OPENSSH PRIVATE KEY-----").ErrorCode);
        Assert.Equal("usage", box.Resh("user://root.key.add", "--args", "{\"key\":\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBUpvqoMK6O2TpHqC4wHjaxW0y6Mm0vOq0bvu2ZKwB3h\\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ\"}").ErrorCode);
        Assert.Equal("usage", box.Resh("user://hostile.add", "root=/nonexistent\n").ErrorCode);
        Assert.Equal(passwd, File.ReadAllText(box.Etc("passwd")));
        Assert.Empty(Directory.GetFiles(box.Etc("sudoers.d"), "resh-root"));
    }

    [Fact]
    public void An_unprivileged_user_can_read_but_every_change_is_permission_denied()
    {
        var passwd = File.ReadAllText(box.Etc("passwd"));
        ReshRun AsNobody(params string[] args) => UserSandbox.RunNs(
            ["nsenter", "-t", box.Pid.ToString(CultureInfo.InvariantCulture), "-m", "--", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                ReshBinary.Path, .. args], null, new Dictionary<string, string> { ["HOME"] = "/tmp" });
        var list = AsNobody("user://.list");
        Assert.True(list.Ok, list.ToString());
        var info = AsNobody("user://root.info");
        Assert.True(info.Ok, info.ToString());
        Assert.Null(info.Result!["password"]?.GetValue<string>()); // no shadow access: unknown, not guessed
        foreach (var call in new[] { "user://evil.add", "user://root.delete", "user://root.lock", "user://root.sudo.grant", "user://group/evil.group.add", "user://root.expire" })
        {
            var r = AsNobody(call, "date=never");
            Assert.True(r.ErrorCode is "permission_denied" or "usage", r.ToString());
        }
        Assert.Equal("permission_denied", AsNobody("user://evil.add").ErrorCode);
        Assert.Equal("permission_denied", AsNobody("user://root.passwd", "hash=$6$abc$def").ErrorCode);
        // Hostile names and values as nobody: refused (usage before anything else, or permission), never run.
        foreach (var (call, arg) in new[] { ("user://-o.add", "shell=/bin/sh"), ("user://ro:ot.add", "shell=/bin/sh"), ("user://evil.add", "shell=/bin/sh\nroot::0:0::/:/bin/sh"),
                     ("user://evil.add", "comment=a:b"), ("user://group/..%2F..%2Fetc.sudo.grant", "commands=ALL"), ("user://root.key.add", "key=ssh-ed25519 AAAA x\ncommand=\"sh\"") })
        {
            var r = AsNobody(call, arg);
            Assert.True(r.ErrorCode is "permission_denied" or "usage", r.ToString());
            Assert.DoesNotContain("at Resh.", r.Stdout + r.Stderr);
        }
        Assert.Equal(passwd, File.ReadAllText(box.Etc("passwd")));
        Assert.Empty(Directory.GetFiles(box.Etc("sudoers.d"), "resh-*"));
    }

    [Fact]
    public void The_machines_own_accounts_never_change()
    {
        // Every user:// test runs against the sandbox: none of their names may reach the real files.
        Assert.True(box.Resh("user://host-check.add").Ok);
        Assert.True(box.Resh("user://host-check.sudo.grant").Ok);
        string[] ours = ["deploy", "host-check", "pwuser", "modme", "memb", "sudoer", "keyuser", "expuser", "bbuser", "ensured"];
        foreach (var f in new[] { "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow" })
            Assert.DoesNotContain(File.ReadAllLines(f), l => ours.Any(u => l.StartsWith(u + ":", StringComparison.Ordinal)));
        Assert.Empty(Directory.GetFiles("/etc/sudoers.d", "resh-*"));
        Assert.DoesNotContain(Directory.GetDirectories("/home"), d => ours.Contains(Path.GetFileName(d)));
        Assert.True(box.Resh("user://host-check.sudo.revoke").Ok);
        Assert.True(box.Resh("user://host-check.delete").Ok);
    }
}
