using System.Diagnostics;
using System.Globalization;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.User;

/// <summary>
/// What a user who owns their home directory (or an image's author) can do to root's edits: races on ~/.ssh and
/// the temporary file, FIFOs, links leaving a root= image, and sudo drop-ins shared by two principals. Each test
/// user exists only in the sandbox's /etc copy.
/// </summary>
[Collection(UserCollection.Name)]
public sealed class UserHardeningTests(UserSandbox box)
{
    const string Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBUpvqoMK6O2TpHqC4wHjaxW0y6Mm0vOq0bvu2ZKwB3h racer@laptop";
    const string RootKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIROOTKEYROOTKEYROOTKEYROOTKEYROOTKEYROOTKEYR root@admin\n";

    (uint Uid, uint Gid) Ids(string user)
    {
        var f = box.Getent("passwd", user);
        return (uint.Parse(f[2], CultureInfo.InvariantCulture), uint.Parse(f[3], CultureInfo.InvariantCulture));
    }

    /// <summary>Starts the swapping racer as the user inside the sandbox and waits until it watches <paramref name="dir"/>.</summary>
    Process StartRacer(string user, string dir, string substring, string target)
    {
        var (uid, gid) = Ids(user);
        var script = box.Home($"{user}/swap-on-create.py");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "User", "Fixtures", "swap-on-create.py"), script, overwrite: true);
        var psi = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-t", box.Pid.ToString(CultureInfo.InvariantCulture), "-m", "--", "setpriv", $"--reuid={uid}", $"--regid={gid}", "--clear-groups",
                     "/usr/bin/python3", $"/home/{user}/swap-on-create.py", dir, substring, target })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        Assert.Equal("ready", p.StandardOutput.ReadLine());
        return p;
    }

    static void Stop(Process p)
    {
        if (!p.WaitForExit(3000)) p.Kill(true);
        p.Dispose();
    }

    [Fact]
    public void Root_adding_a_key_while_the_owner_swaps_ssh_for_a_link_never_touches_the_link_target()
    {
        Assert.True(box.Resh("user://racer.add", "shell=/bin/sh").Ok);
        using var tmp = new TempDir("race");
        var victim = Directory.CreateDirectory(tmp["victim"]).FullName;
        File.SetUnixFileMode(tmp.Path, (UnixFileMode)0x1ed);
        File.SetUnixFileMode(victim, (UnixFileMode)0x1ed);
        File.WriteAllText(Path.Combine(victim, "authorized_keys"), RootKey);
        File.SetUnixFileMode(Path.Combine(victim, "authorized_keys"), (UnixFileMode)0x1a4);
        for (int attempt = 0; attempt < 6; attempt++)
        {
            // ~/.ssh missing: the owner swaps the new directory for a link to a root-owned directory.
            if (Directory.Exists(box.Home("racer/.ssh")) || File.Exists(box.Home("racer/.ssh"))) Sh("rm", "-rf", box.Home("racer/.ssh"));
            foreach (var d in Directory.GetFileSystemEntries(box.Home("racer"), "moved-*")) Sh("rm", "-rf", d);
            var racer = StartRacer("racer", "/home/racer", ".ssh", victim);
            var add = box.Resh("user://racer.key.add", $"key={Key}");
            Stop(racer);
            Assert.True(add.Ok || add.ErrorCode == "conflict", add.ToString());
            Assert.Equal((UnixFileMode)0x1ed, File.GetUnixFileMode(victim));
            Assert.Equal(["authorized_keys"], Directory.GetFileSystemEntries(victim).Select(Path.GetFileName));
            Assert.Equal(RootKey, File.ReadAllText(Path.Combine(victim, "authorized_keys")));
            Assert.Equal(0u, (uint)Stat(Path.Combine(victim, "authorized_keys")));
        }
        var victimFile = tmp["victim-file"];
        File.WriteAllText(victimFile, "root's file\n");
        File.SetUnixFileMode(victimFile, (UnixFileMode)0x1a4);
        for (int attempt = 0; attempt < 6; attempt++)
        {
            // ~/.ssh present (the user's): the temporary file is swapped for a link to a root-owned file.
            Sh("rm", "-rf", box.Home("racer/.ssh"));
            Directory.CreateDirectory(box.Home("racer/.ssh"));
            var (uid, gid) = Ids("racer");
            Sh("chown", $"{uid}:{gid}", box.Home("racer/.ssh"));
            var racer = StartRacer("racer", "/home/racer/.ssh", ".authorized_keys.resh-", victimFile);
            var add = box.Resh("user://racer.key.add", $"key={Key}");
            Stop(racer);
            Assert.True(add.Ok || add.ErrorCode == "conflict", add.ToString());
            Assert.Equal((UnixFileMode)0x1a4, File.GetUnixFileMode(victimFile));
            Assert.Equal("root's file\n", File.ReadAllText(victimFile));
            Assert.Equal(0, Stat(victimFile));
        }
        Assert.True(box.Resh("user://racer.delete", "remove_home=true").Ok);
    }

    [Fact]
    public void A_fifo_at_authorized_keys_is_refused_not_read_and_an_unreadable_ssh_dir_is_permission_denied()
    {
        Assert.True(box.Resh("user://fifouser.add", "shell=/bin/sh").Ok);
        Assert.True(box.Resh("user://fifouser.key.add", $"key={Key}").Changed);
        // An unprivileged caller cannot look into the user's 0700 ~/.ssh: that is permission_denied, not "no keys".
        var nobody = UserSandbox.RunNs(["nsenter", "-t", box.Pid.ToString(CultureInfo.InvariantCulture), "-m", "--", "setpriv", "--reuid=65534", "--regid=65534",
            "--clear-groups", ReshBinary.Path, "user://fifouser.keys.list"], null, new Dictionary<string, string> { ["HOME"] = "/tmp" });
        Assert.Equal("permission_denied", nobody.ErrorCode);

        File.Delete(box.Home("fifouser/.ssh/authorized_keys"));
        Sh("mkfifo", box.Home("fifouser/.ssh/authorized_keys"));
        var list = box.Resh("user://fifouser.keys.list"); // before the fix this blocked forever on the FIFO
        Assert.Equal("conflict", list.ErrorCode);
        Assert.Contains("not a regular file", list.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal("conflict", box.Resh("user://fifouser.key.add", $"key={Key}").ErrorCode);
        Assert.Equal(["authorized_keys"], Directory.GetFileSystemEntries(box.Home("fifouser/.ssh")).Select(Path.GetFileName)); // no temp file left
        Assert.True(box.Resh("user://fifouser.delete", "remove_home=true").Ok);
    }

    [Fact]
    public void Paths_of_a_root_image_never_lead_outside_it()
    {
        using var host = new TempDir("imghost");
        using var img = new TempDir("img");
        Directory.CreateDirectory(img["etc/default"]);
        Directory.CreateDirectory(img["home"]);
        foreach (var f in new[] { "passwd", "group", "shadow", "gshadow", "login.defs" }) File.Copy(box.Etc(f), img[$"etc/{f}"]);
        // Homes from the image's passwd: a plain one, one that is a link onto the host, one that climbs out with "..".
        File.AppendAllText(img["etc/passwd"], "imgbob:x:24901:24901::/home/imgbob:/bin/sh\nimglink:x:24902:24902::/home/imglink:/bin/sh\n"
            + "imgdots:x:24903:24903::/../" + Path.GetFileName(host.Path) + "/dots:/bin/sh\n");
        File.AppendAllText(img["etc/group"], "imgbob:x:24901:\n");
        Directory.CreateDirectory(host["sudoers"]);
        Directory.CreateDirectory(host["home"]);
        Directory.CreateDirectory(host["dots"]);
        Directory.CreateDirectory(img["home/imgbob"]);

        // A plain image works: the drop-in and the keys land inside it.
        var grant = box.Resh("user://imgbob.sudo.grant", $"root={img.Path}");
        Assert.True(grant.Changed, grant.ToString());
        Assert.True(File.Exists(img["etc/sudoers.d/resh-imgbob"]));
        Assert.True(box.Resh("user://imgbob.key.add", $"key={Key}", $"root={img.Path}").Changed);
        Assert.True(File.Exists(img["home/imgbob/.ssh/authorized_keys"]));

        // etc/sudoers.d a link to a host directory; a home a link onto the host; a home with "..": refused.
        Directory.Delete(img["etc/sudoers.d"], true);
        File.CreateSymbolicLink(img["etc/sudoers.d"], host["sudoers"]);
        Assert.Equal("conflict", box.Resh("user://imgbob.sudo.grant", "nopasswd=true", $"root={img.Path}").ErrorCode);
        Assert.Equal("conflict", box.Resh("user://imgbob.sudo.revoke", $"root={img.Path}").ErrorCode);
        File.CreateSymbolicLink(img["home/imglink"], host["home"]);
        Assert.Equal("conflict", box.Resh("user://imglink.key.add", $"key={Key}", $"root={img.Path}").ErrorCode);
        Assert.Equal("conflict", box.Resh("user://imglink.keys.list", $"root={img.Path}").ErrorCode);
        Assert.Equal("conflict", box.Resh("user://imgdots.key.add", $"key={Key}", $"root={img.Path}").ErrorCode);
        Assert.Empty(Directory.GetFileSystemEntries(host["sudoers"]));
        Assert.Empty(Directory.GetFileSystemEntries(host["home"]));
        Assert.Empty(Directory.GetFileSystemEntries(host["dots"]));
    }

    [Fact]
    public void Two_principals_mapping_to_one_drop_in_never_overwrite_or_revoke_each_other()
    {
        Assert.True(box.Resh("user://col_x.add", "create_home=false").Ok);
        Assert.True(box.Resh("user://col.x.add", "create_home=false").Ok);
        Assert.True(box.Resh("user://group-colops.add", "create_home=false").Ok);
        Assert.True(box.Resh("user://group/colops.group.add").Ok);
        var file = box.Etc("sudoers.d/resh-col_x");
        Assert.True(box.Resh("user://col_x.sudo.grant", "commands=/usr/bin/true").Changed);
        var other = box.Resh("user://col.x.sudo.grant", "nopasswd=true");
        Assert.Equal("conflict", other.ErrorCode);
        Assert.Contains("col_x ALL=(ALL:ALL) /usr/bin/true", File.ReadAllText(file));
        var revoke = box.Resh("user://col.x.sudo.revoke");
        Assert.True(revoke.Ok, revoke.ToString());
        Assert.False(revoke.Changed);
        Assert.NotEmpty(Warnings(revoke));
        Assert.False(box.Resh("user://no.such.sudo.revoke").Changed);
        Assert.True(File.Exists(file));

        Assert.True(box.Resh("user://group/colops.sudo.grant").Changed);
        Assert.Equal("conflict", box.Resh("user://group-colops.sudo.grant").ErrorCode);
        Assert.False(box.Resh("user://group-colops.sudo.revoke").Changed);
        Assert.Contains("%colops ALL", File.ReadAllText(box.Etc("sudoers.d/resh-group-colops")));
        Assert.True(box.Resh("user://group/colops.sudo.revoke").Changed);
        Assert.True(box.Resh("user://col_x.sudo.revoke").Changed);
        foreach (var u in new[] { "col_x", "col.x", "group-colops" }) Assert.True(box.Resh($"user://{u}.delete").Ok);
        Assert.True(box.Resh("user://group/colops.group.delete").Ok);
    }

    [Fact]
    public void Sudo_commands_never_mix_ALL_visudo_errors_carry_its_message_and_delete_takes_the_drop_in_along()
    {
        Assert.True(box.Resh("user://sudel.add", "create_home=false").Ok);
        var mixed = box.Resh("user://sudel.sudo.grant", "commands=/usr/bin/systemctl restart nginx,ALL");
        Assert.Equal("usage", mixed.ErrorCode);
        Assert.Equal("usage", box.Resh("user://sudel.sudo.grant", "--args", "{\"commands\":\"/usr/bin/cat /var/log/app.log,ALL\"}").ErrorCode);
        Assert.False(File.Exists(box.Etc("sudoers.d/resh-sudel")));
        var quoted = box.Resh("user://sudel.sudo.grant", "commands=/bin/echo \"a\"");
        Assert.Equal("usage", quoted.ErrorCode);
        Assert.Contains("syntax error", quoted.Envelope["error"]!["message"]!.GetValue<string>()); // visudo's own words, not an empty message
        Assert.Contains("resh-sudel", quoted.Envelope["error"]!["details"]!["visudo"]!.GetValue<string>());
        Assert.Empty(Directory.GetFiles(box.Etc("sudoers.d"), ".resh-*"));

        Assert.True(box.Resh("user://sudel.sudo.grant", "commands=/usr/bin/true").Changed);
        var dry = box.Resh("user://sudel.delete", "--dry-run");
        Assert.Contains(Warnings(dry), w => w.Contains("resh-sudel", StringComparison.Ordinal));
        Assert.True(File.Exists(box.Etc("sudoers.d/resh-sudel")));
        var del = box.Resh("user://sudel.delete");
        Assert.True(del.Changed, del.ToString());
        Assert.False(File.Exists(box.Etc("sudoers.d/resh-sudel"))); // a later account of the same name inherits nothing
        Assert.Contains(Warnings(del), w => w.Contains("resh-sudel", StringComparison.Ordinal));
    }

    static IEnumerable<string> Warnings(ReshRun r) => r.Envelope["warnings"]?.AsArray().Select(w => w!.GetValue<string>()) ?? [];

    static string Sh(params string[] argv)
    {
        var r = UserSandbox.RunNs(argv, null, null);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout.Trim();
    }

    static int Stat(string path) => int.Parse(Sh("stat", "-c", "%u", path), CultureInfo.InvariantCulture);
}
