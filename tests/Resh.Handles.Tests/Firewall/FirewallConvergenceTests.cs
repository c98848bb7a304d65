using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Firewall;

/// <summary>
/// Every changing firewall verb, on nftables in the lab's namespace: --dry-run reports the change and
/// leaves `nft list ruleset` byte for byte as it was, the real run changes it (checked with real
/// connects where traffic is involved), and the same call again is `changed: false`.
/// </summary>
[Collection(FirewallCollection.Name)]
public sealed class FirewallConvergenceTests(FirewallLab lab)
{
    const string B = "nftables";

    ReshRun R(params string[] args) => lab.Resh(B, [.. args, "backend=nftables"]);

    string Ruleset() => lab.Exec(B, "nft", "list", "ruleset").Stdout;

    /// <summary>Dry run (nothing touched), real run (changed), second run (unchanged); returns the real run.</summary>
    ReshRun Converge(string call)
    {
        var before = Ruleset();
        var dry = R(call, "--dry-run");
        Assert.True(dry.Ok, dry.ToString());
        Assert.True(dry.Changed, $"dry run of {call} should report a change: {dry}");
        Assert.True(dry.Envelope["dry_run"]!.GetValue<bool>());
        Assert.Equal(before, Ruleset());
        var real = R(call);
        Assert.True(real.Ok, real.ToString());
        Assert.True(real.Changed, $"{call}: {real}");
        Assert.NotEqual(before, Ruleset());
        var again = R(call);
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed, $"second {call} should be changed:false: {again}");
        var dryAgain = R(call, "--dry-run");
        Assert.False(dryAgain.Changed, $"dry run of a converged {call}: {dryAgain}");
        return real;
    }

    [Fact]
    public void Every_changing_verb_dry_runs_without_touching_nft_and_is_unchanged_the_second_time()
    {
        try
        {
            Assert.True(lab.Connects(B, 24080));
            Assert.True(lab.Connects(B, 24081));
            Converge("firewall://.allow(port=24090,proto=tcp,comment=conv)");
            Converge("firewall://.deny(port=24080,proto=tcp,from=10.99.0.2)");
            Assert.False(lab.Connects(B, 24080));
            Converge("firewall://.reject(port=24081,proto=tcp)");
            Assert.False(lab.Connects(B, 24081));
            var add = Converge("firewall://.rules.add(action=accept,proto=tcp,port=24092,rate_limit=10/minute,log=true,position=top)");
            Assert.Contains(add.Result!["commands"]!.AsArray(), c => c!.GetValue<string>().Contains("limit rate 10/minute"));
            var top = R("firewall://.rules.list", "managed=true").Result!["rules"]!.AsArray()[0]!;
            Assert.Equal("24092", top["ports"]![0]!.GetValue<string>());
            Assert.True(top["log"]!.GetValue<bool>());
            Assert.Equal("10/minute", top["rate_limit"]!.GetValue<string>());
            Converge("firewall://.policy.set(direction=forward,policy=drop)");
            Assert.Contains("hook forward priority filter - 10; policy drop;", Ruleset());

            // disable/enable: the deny stops and starts blocking a real connect.
            Converge("firewall://.disable");
            Assert.True(lab.Connects(B, 24080));
            Converge("firewall://.enable");
            Assert.False(lab.Connects(B, 24080));

            Converge("firewall://.rules.delete(port=24080,proto=tcp,from=10.99.0.2)");
            Assert.True(lab.Connects(B, 24080));
            Converge("firewall://.rules.delete(action=reject)");
            Assert.True(lab.Connects(B, 24081));
            Converge("firewall://.policy.set(direction=forward,policy=accept)");
            Converge("firewall://.rules.delete(all=true)");
            Assert.DoesNotContain("resh:", Ruleset());
        }
        finally
        {
            R("firewall://.rules.delete(all=true)");
            R("firewall://.policy.set(direction=forward,policy=accept)");
        }
    }
}
