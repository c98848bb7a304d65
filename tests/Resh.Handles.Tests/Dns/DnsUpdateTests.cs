using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.DnsTests;

/// <summary>
/// record.add / record.delete / record.set against the real BIND primary of <see cref="DnsBackend"/>, signed with
/// its TSIG key; every change is read back with a fresh resh query and with dig, and an idempotent repeat must
/// leave the SOA serial alone (nothing sent).
/// </summary>
[Collection("dns")]
public sealed class DnsUpdateTests(DnsBackend dns)
{
    static string Fresh() => "t" + Guid.NewGuid().ToString("N")[..8] + ".example.test";

    string[] Query(string name, string type)
    {
        var r = dns.Resh($"dns://{name}.query", $"type={type}", $"server={dns.Server}");
        Assert.True(r.Ok, r.ToString());
        return r.Result!["answer"]!.AsArray().Select(a => a!["data"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();
    }

    ReshRun Update(string name, string verb, params string[] args) =>
        dns.Resh([$"dns://{name}.{verb}", $"server={dns.Server}", $"key_file={dns.KeyFile}", .. args]);

    [Fact]
    public void Add_creates_the_record_and_a_repeat_sends_nothing()
    {
        var name = Fresh();
        var r = Update(name, "record.add", "type=A", "value=192.0.2.10");
        Assert.True(r.Ok, r.ToString());
        Assert.True(r.Changed);
        Assert.True(r.Result!["sent"]!.GetValue<bool>());
        Assert.Equal("example.test.", r.Result!["zone"]!.GetValue<string>());
        Assert.Equal(["192.0.2.10"], r.Result!["after"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray());
        Assert.Equal(["192.0.2.10"], Query(name, "A"));
        Assert.Equal(["192.0.2.10"], dns.Short(name, "A"));

        var serial = dns.Serial("example.test");
        var again = Update(name, "record.add", "type=A", "value=192.0.2.10");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed);
        Assert.False(again.Result!["sent"]!.GetValue<bool>());
        Assert.Equal(serial, dns.Serial("example.test"));
    }

    [Fact]
    public void Set_replaces_the_record_set_exactly()
    {
        var name = Fresh();
        Assert.True(Update(name, "record.add", "type=A", "value=192.0.2.1").Ok);
        var r = Update(name, "record.set", "type=A", "value=192.0.2.2", "value=192.0.2.3", "ttl=600");
        Assert.True(r.Ok, r.ToString());
        Assert.True(r.Changed);
        Assert.Equal(["192.0.2.1"], r.Result!["before"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray());
        Assert.Equal(["192.0.2.2", "192.0.2.3"], Query(name, "A"));
        Assert.Equal(["192.0.2.2", "192.0.2.3"], dns.Short(name, "A"));
        Assert.Contains("600", dns.Dig("+noall", "+answer", "-p", "5353", "@127.0.0.1", name, "A")[0]);

        var serial = dns.Serial("example.test");
        var same = Update(name, "record.set", "type=A", "value=192.0.2.3", "value=192.0.2.2");
        Assert.True(same.Ok, same.ToString());
        Assert.False(same.Changed);
        Assert.Equal(serial, dns.Serial("example.test"));
    }

    [Fact]
    public void Delete_removes_one_value_then_the_set_and_is_idempotent()
    {
        var name = Fresh();
        Assert.True(Update(name, "record.add", "type=TXT", "value=\"hello there\"", "value=\"second\"").Ok);
        Assert.Equal(["\"hello there\"", "\"second\""], dns.Short(name, "TXT"));
        var one = Update(name, "record.delete", "type=TXT", "value=\"second\"");
        Assert.True(one.Ok, one.ToString());
        Assert.True(one.Changed);
        Assert.Equal(["\"hello there\""], dns.Short(name, "TXT"));
        var all = Update(name, "record.delete", "type=TXT");
        Assert.True(all.Ok, all.ToString());
        Assert.Empty(dns.Short(name, "TXT"));
        Assert.Empty(Query(name, "TXT"));
        var again = Update(name, "record.delete", "type=TXT");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed);
    }

    [Fact]
    public void Mx_values_with_relative_names_are_completed_with_the_zone()
    {
        var name = Fresh();
        var r = Update(name, "record.add", "type=MX", "value=10 mail");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal(["10 mail.example.test."], dns.Short(name, "MX"));
    }

    [Fact]
    public void A_prerequisite_that_does_not_hold_is_a_conflict_and_changes_nothing()
    {
        var name = Fresh();
        Assert.True(Update(name, "record.add", "type=A", "value=192.0.2.5").Ok);
        var r = Update(name, "record.add", "type=TXT", "value=\"x\"", "require=absent");
        Assert.False(r.Ok, r.ToString());
        Assert.Equal("conflict", r.ErrorCode);
        Assert.Empty(dns.Short(name, "TXT"));
        var ok = Update(name, "record.add", "type=TXT", "value=\"x\"", "require=rrset_present:" + name + "/A");
        Assert.True(ok.Ok, ok.ToString());
        Assert.Equal(["\"x\""], dns.Short(name, "TXT"));
    }

    [Fact]
    public void Dry_run_plans_without_sending()
    {
        var name = Fresh();
        var r = Update(name, "record.add", "type=A", "value=192.0.2.77", "--dry-run");
        Assert.True(r.Ok, r.ToString());
        Assert.True(r.Changed);
        Assert.False(r.Result!["sent"]!.GetValue<bool>());
        Assert.Equal(["192.0.2.77"], r.Result!["after"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray());
        Assert.Empty(dns.Short(name, "A"));
    }

    [Fact]
    public void The_tsig_secret_from_the_environment_never_shows_in_output_or_verbose_log()
    {
        var name = Fresh();
        var secret = dns.Secret;
        var r = dns.ReshEnv(new Dictionary<string, string> { ["TSIG_SECRET"] = secret },
            $"dns://{name}.record.add", "type=A", "value=192.0.2.20", $"server={dns.Server}", "key_name=resh-key", "key=env:TSIG_SECRET", "--verbose");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("resh-key.", r.Result!["key"]!.GetValue<string>());
        Assert.Equal(["192.0.2.20"], dns.Short(name, "A"));
        Assert.DoesNotContain(secret, r.Stdout + r.Stderr);
        Assert.Empty(r.Envelope["warnings"]!.AsArray());

        var keyFileRun = Update(name, "record.add", "type=A", "value=192.0.2.21", "--verbose");
        Assert.True(keyFileRun.Ok, keyFileRun.ToString());
        Assert.DoesNotContain(secret, keyFileRun.Stdout + keyFileRun.Stderr);
    }

    [Fact]
    public void A_wrong_secret_or_no_key_is_permission_denied()
    {
        var name = Fresh();
        var wrong = Convert.ToBase64String(new byte[32]);
        var r = dns.ReshEnv(new Dictionary<string, string> { ["TSIG_SECRET"] = wrong },
            $"dns://{name}.record.add", "type=A", "value=192.0.2.30", $"server={dns.Server}", "key_name=resh-key", "key=env:TSIG_SECRET");
        Assert.False(r.Ok, r.ToString());
        Assert.Equal("permission_denied", r.ErrorCode);
        Assert.DoesNotContain(wrong, r.Stdout + r.Stderr);
        var none = dns.Resh($"dns://{name}.record.add", "type=A", "value=192.0.2.30", $"server={dns.Server}");
        Assert.Equal("permission_denied", none.ErrorCode);
        Assert.Empty(dns.Short(name, "A"));
    }

    [Theory]
    [InlineData("value=1.2.3.4\n5.6.7.8 extra")]
    [InlineData("value=not-an-address")]
    public void Bad_values_are_usage_errors_and_nothing_is_sent(string value)
    {
        var name = Fresh();
        var r = Update(name, "record.add", "type=A", value);
        Assert.False(r.Ok, r.ToString());
        Assert.Equal("usage", r.ErrorCode);
        Assert.Empty(dns.Short(name, "A"));
    }
}
