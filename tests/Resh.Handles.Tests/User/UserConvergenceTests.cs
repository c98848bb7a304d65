using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.User;

/// <summary>
/// Every changing user:// verb in the sandbox, with per-run names: --dry-run reports the change and
/// leaves the account files, sudoers.d and the home directory exactly as they were, the real run
/// changes them, and the same call again is `changed: false` (also as a dry run).
/// </summary>
[Collection(UserCollection.Name)]
public sealed class UserConvergenceTests(UserSandbox box)
{
    readonly string _user = "conv" + Guid.NewGuid().ToString("N")[..6];
    readonly string _group = "convg" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>Everything an account verb may touch, as one string.</summary>
    string World()
    {
        var sb = new StringBuilder();
        foreach (var f in new[] { "passwd", "group", "shadow", "gshadow" }) sb.Append(File.ReadAllText(box.Etc(f)));
        foreach (var f in Directory.GetFiles(box.Etc("sudoers.d")).Order()) sb.Append(f).Append(File.ReadAllText(f));
        var home = box.Home(_user);
        if (Directory.Exists(home))
            foreach (var f in Directory.GetFileSystemEntries(home, "*", SearchOption.AllDirectories).Order())
                sb.Append(f).Append(File.GetUnixFileMode(f)).Append(File.Exists(f) ? File.ReadAllText(f) : "");
        return sb.ToString();
    }

    ReshRun Run(string? stdin, string[] call) => box.ReshIn(stdin, null, call);

    void Converge(string? stdin, params string[] call)
    {
        var label = string.Join(' ', call);
        var before = World();
        var dry = Run(stdin, [.. call, "--dry-run"]);
        Assert.True(dry.Ok, dry.ToString());
        Assert.True(dry.Changed, $"dry run of {label} should report a change: {dry}");
        Assert.True(dry.Envelope["dry_run"]!.GetValue<bool>());
        Assert.Equal(before, World());
        var real = Run(stdin, call);
        Assert.True(real.Ok, real.ToString());
        Assert.True(real.Changed, $"{label}: {real}");
        Assert.NotEqual(before, World());
        var after = World();
        var again = Run(stdin, call);
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed, $"second {label} should be changed:false: {again}");
        Assert.Equal(after, World());
        var dryAgain = Run(stdin, [.. call, "--dry-run"]);
        Assert.False(dryAgain.Changed, $"dry run of a converged {label}: {dryAgain}");
    }

    [Fact]
    public void Every_changing_verb_dry_runs_without_touching_etc_or_home_and_is_unchanged_the_second_time()
    {
        var u = _user;
        var g = _group;
        using var keys = new TempDir("convkeys");
        var gen = UserSandbox.RunNs(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "conv-laptop", "-f", keys["k"]], null, null);
        Assert.Equal(0, gen.ExitCode);
        try
        {
            Converge(null, $"user://{u}.add", "shell=/bin/sh", "create_home=true");
            Assert.Equal("/bin/sh", box.Getent("passwd", u)[6]);
            Converge(null, $"user://{u}.modify", "shell=/bin/bash", "comment=Conv User");
            Assert.Equal("Conv User", box.Getent("passwd", u)[4]);
            Converge(null, $"user://{u}.ensure", "shell=/bin/sh");
            Assert.Equal("/bin/sh", box.Getent("passwd", u)[6]);
            Converge(null, $"user://group/{g}.group.add");
            Assert.NotEmpty(box.Getent("group", g));
            Converge(null, $"user://group/{g}.member.add", $"user={u}");
            Assert.Contains(u, box.Getent("group", g)[3].Split(','));
            Converge("Conv-passw0rd!\n", $"user://{u}.passwd", "password=@-");
            Assert.StartsWith("$", box.ShadowLine(u)![1]);
            Converge(null, $"user://{u}.lock");
            Assert.StartsWith("!", box.ShadowLine(u)![1]);
            Converge(null, $"user://{u}.unlock");
            Assert.StartsWith("$", box.ShadowLine(u)![1]);
            Converge(null, $"user://{u}.expire", "date=2031-01-01");
            Assert.NotEqual("", box.ShadowLine(u)![7]);
            Converge(null, $"user://{u}.sudo.grant", "commands=/usr/bin/true");
            Assert.True(File.Exists(box.Etc($"sudoers.d/resh-{u}")));
            Converge(null, $"user://{u}.key.add", $"key=@{keys["k.pub"]}");
            Assert.Contains("conv-laptop", File.ReadAllText(box.Home($"{u}/.ssh/authorized_keys")));
            Converge(null, $"user://{u}.key.remove", "comment=conv-laptop");
            Assert.DoesNotContain("conv-laptop", File.ReadAllText(box.Home($"{u}/.ssh/authorized_keys")));
            Converge(null, $"user://{u}.sudo.revoke");
            Assert.False(File.Exists(box.Etc($"sudoers.d/resh-{u}")));
            Converge(null, $"user://group/{g}.member.remove", $"user={u}");
            Converge(null, $"user://group/{g}.group.delete");
            Assert.Empty(box.Getent("group", g));
            Converge(null, $"user://{u}.delete", "remove_home=true");
            Assert.Empty(box.Getent("passwd", u));
            Assert.False(Directory.Exists(box.Home(u)));
        }
        finally
        {
            box.Resh($"user://{u}.sudo.revoke");
            box.Resh($"user://{u}.delete", "remove_home=true");
            box.Resh($"user://group/{g}.group.delete");
        }
    }
}
