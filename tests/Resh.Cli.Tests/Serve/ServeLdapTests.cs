using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Serve;

/// <summary>
/// Issue 18, LDAP logins of `resh serve` (HTTP Basic over TLS, [serve.ldap]) against a real slapd started here on
/// loopback with its own config and database (ldap:// with StartTLS and ldaps://, users and groupOfNames groups loaded
/// with ldapadd), stopped by its PID. Skipped where slapd is not installed (scripts/install-test-deps.sh installs it).
/// </summary>
public sealed class ServeLdapTests : IDisposable
{
    readonly ServeIdentityTests _serve = new();
    readonly Process? _slapd;
    readonly int _ldapPort, _ldapsPort;
    const string Suffix = "dc=example,dc=com";
    const string Slapd = "/usr/sbin/slapd";

    public ServeLdapTests()
    {
        if (!File.Exists(Slapd)) return;
        var dir = _serve.Dir["slapd"];
        Directory.CreateDirectory(Path.Combine(dir, "db"));
        (_ldapPort, _ldapsPort) = LoopbackPorts.Free(2) switch { var p => (p[0], p[1]) };
        var conf = _serve.Dir.File("slapd/slapd.conf", $"""
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            include /etc/ldap/schema/nis.schema
            modulepath /usr/lib/ldap
            moduleload back_mdb
            pidfile {dir}/slapd.pid
            TLSCertificateFile {_serve.Pki.ServerCert}
            TLSCertificateKeyFile {_serve.Pki.ServerKey}
            database mdb
            maxsize 10485760
            suffix "{Suffix}"
            rootdn "cn=admin,{Suffix}"
            rootpw adminsecret
            directory {dir}/db
            access to attrs=userPassword by anonymous auth by self read by * none
            access to * by * read
            """);
        var psi = new ProcessStartInfo(Slapd) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["-f", conf, "-h", $"ldap://127.0.0.1:{_ldapPort}/ ldaps://127.0.0.1:{_ldapsPort}/", "-d", "0"]) psi.ArgumentList.Add(a);
        _slapd = Process.Start(psi)!;
        _slapd.BeginErrorReadLine();
        _slapd.BeginOutputReadLine();
        var ldif = _serve.Dir.File("slapd/data.ldif", $"""
            dn: {Suffix}
            objectClass: dcObject
            objectClass: organization
            o: Example
            dc: example

            dn: ou=people,{Suffix}
            objectClass: organizationalUnit
            ou: people

            dn: ou=groups,{Suffix}
            objectClass: organizationalUnit
            ou: groups

            dn: uid=alice,ou=people,{Suffix}
            objectClass: inetOrgPerson
            uid: alice
            cn: Alice
            sn: A
            userPassword: alice-pw

            dn: uid=bob,ou=people,{Suffix}
            objectClass: inetOrgPerson
            uid: bob
            cn: Bob
            sn: B
            userPassword: bob-pw

            dn: uid=carol,ou=people,{Suffix}
            objectClass: inetOrgPerson
            uid: carol
            cn: Carol
            sn: C
            userPassword: carol-pw

            dn: cn=ops,ou=groups,{Suffix}
            objectClass: groupOfNames
            cn: ops
            member: uid=alice,ou=people,{Suffix}

            dn: cn=viewers,ou=groups,{Suffix}
            objectClass: groupOfNames
            cn: viewers
            member: uid=bob,ou=people,{Suffix}
            member: uid=alice,ou=people,{Suffix}

            """);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var add = Run("ldapadd", "-x", "-H", $"ldap://127.0.0.1:{_ldapPort}", "-D", $"cn=admin,{Suffix}", "-w", "adminsecret", "-f", ldif);
            if (add.Exit == 0) break;
            if (DateTime.UtcNow > deadline || _slapd.HasExited)
            {
                Dispose(); // a constructor that throws gets no Dispose: stop slapd here
                throw new InvalidOperationException("slapd did not take the test entries: " + add);
            }
            Thread.Sleep(200);
        }
    }

    static (int Exit, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(30_000)) { p.Kill(); return (-1, "timed out"); }
        return (p.ExitCode, output + err.Result);
    }

    public void Dispose()
    {
        if (_slapd is not null)
        {
            try { if (!_slapd.HasExited) { _slapd.Kill(); _slapd.WaitForExit(5000); } } catch (InvalidOperationException) { }
            _slapd.Dispose();
        }
        _serve.Dispose();
    }

    string Config(string ldap) => _serve.Dir.File("config.toml", $$"""
        [roles.ops]
        allow = ["system.*"]

        [roles.viewer]
        allow = ["system.uptime"]

        [serve.ldap]
        {{ldap}}
        ca = "{{_serve.Pki.CaFile(_serve.Dir, "pki/ldap-ca.pem")}}"
        group_base = "ou=groups,{{Suffix}}"
        timeout = 5

        [serve.ldap.groups]
        "cn=ops,ou=groups,{{Suffix}}" = "ops"
        "cn=viewers,ou=groups,{{Suffix}}" = "viewer"
        """);

    static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    static AuthenticationHeaderValue BasicRaw(byte[] bytes) => new("Basic", Convert.ToBase64String(bytes));

    [Fact]
    public async Task A_good_password_logs_in_with_the_role_of_the_first_mapped_group_over_starttls()
    {
        if (_slapd is null) return;
        var config = Config($"""
            url = "ldap://127.0.0.1:{_ldapPort}"
            start_tls = true
            user_dn = "uid={"{user}"},ou=people,{Suffix}"
            """);
        var url = _serve.Start(config);
        using var http = ServeIdentityTests.Client(null);
        // alice is in ops and viewers: ops comes first in [serve.ldap.groups].
        var (status, env, _) = await ServeIdentityTests.CallAsync(http, url, Basic("alice", "alice-pw"), """{"stage":"system://","verb":"memory"}""");
        Assert.True(status == 200, env.ToJsonString());
        (status, env, _) = await ServeIdentityTests.CallAsync(http, url, Basic("bob", "bob-pw"), """{"stage":"system://","verb":"memory"}""");
        Assert.Equal((403, "permission_denied"), (status, ServeIdentityTests.Code(env)));
        Assert.Equal(200, (await ServeIdentityTests.CallAsync(http, url, Basic("bob", "bob-pw"))).Status);
        // carol's password is right but she is in no mapped group.
        (status, env, _) = await ServeIdentityTests.CallAsync(http, url, Basic("carol", "carol-pw"));
        Assert.Equal((403, "permission_denied"), (status, ServeIdentityTests.Code(env)));

        var list = _serve.Resh(config, "audit", "list", "surface=rest", "--format", "json");
        var records = list.Result!["records"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Contains(records, r => r["identity"]!.GetValue<string>() == "ldap:alice" && r["code"]!.GetValue<string>() == "ok");
        Assert.Contains(records, r => r["identity"]!.GetValue<string>() == "ldap:carol" && r["code"]!.GetValue<string>() == "permission_denied");
        Assert.DoesNotContain("alice-pw", File.ReadAllText(Path.Combine(_serve.Dir["state"], "audit", "audit.jsonl")));
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_user_get_the_same_401_and_injection_is_matched_literally()
    {
        if (_slapd is null) return;
        // The search form over ldaps://: the service account finds the user by filter, then the user's bind checks the password.
        var config = Config($"""
            url = "ldaps://127.0.0.1:{_ldapsPort}"
            bind_dn = "cn=admin,{Suffix}"
            bind_password = "env:RESH_TEST_LDAP_PW"
            base = "ou=people,{Suffix}"
            filter = "(&(objectClass=inetOrgPerson)(uid={"{user}"}))"
            """);
        Environment.SetEnvironmentVariable("RESH_TEST_LDAP_PW", null);
        var url = StartWithEnv(config);
        using var http = ServeIdentityTests.Client(null);
        Assert.Equal(200, (await ServeIdentityTests.CallAsync(http, url, Basic("alice", "alice-pw"))).Status);

        var (s1, wrong, _) = await ServeIdentityTests.CallAsync(http, url, Basic("alice", "nope"));
        var (s2, unknown, _) = await ServeIdentityTests.CallAsync(http, url, Basic("mallory", "nope"));
        Assert.Equal((401, 401), (s1, s2));
        Assert.Equal(wrong["error"]!.ToJsonString(), unknown["error"]!.ToJsonString());
        // An empty password would be an unauthenticated bind, which LDAP servers answer with success.
        Assert.Equal(401, (await ServeIdentityTests.CallAsync(http, url, Basic("alice", ""))).Status);
        // Filter syntax in the name matches only itself: `al*` with alice's password is no one.
        foreach (var user in new[] { "al*", "*", "alice)(uid=*", "*)(|(uid=*", "alice\\2a" })
            Assert.Equal(401, (await ServeIdentityTests.CallAsync(http, url, Basic(user, "alice-pw"))).Status);
        // A NUL or another control character in the name is refused before the directory is asked.
        Assert.Equal(401, (await ServeIdentityTests.CallAsync(http, url, BasicRaw([.. "alice\0"u8, .. ":alice-pw"u8]))).Status);
        Assert.Equal(401, (await ServeIdentityTests.CallAsync(http, url, new AuthenticationHeaderValue("Basic", "!!notbase64"))).Status);
        // The server is fine after all of it.
        Assert.Equal(200, (await ServeIdentityTests.CallAsync(http, url, Basic("bob", "bob-pw"))).Status);
    }

    string StartWithEnv(string config)
    {
        Environment.SetEnvironmentVariable("RESH_TEST_LDAP_PW", "adminsecret"); // inherited by the server process
        try { return _serve.Start(config); }
        finally { Environment.SetEnvironmentVariable("RESH_TEST_LDAP_PW", null); }
    }

    [Fact]
    public async Task Ldap_down_or_untrusted_is_503_unavailable()
    {
        if (_slapd is null) return;
        var closed = LoopbackPorts.Free(1)[0];
        var config = Config($"""
            url = "ldap://127.0.0.1:{closed}"
            user_dn = "uid={"{user}"},ou=people,{Suffix}"
            """);
        var url = _serve.Start(config);
        using var http = ServeIdentityTests.Client(null);
        var (status, env, resp) = await ServeIdentityTests.CallAsync(http, url, Basic("alice", "alice-pw"));
        Assert.Equal((503, "unavailable"), (status, ServeIdentityTests.Code(env)));
        Assert.DoesNotContain("alice-pw", env.ToJsonString());

        // The LDAP server's certificate must chain to `ca`: the system store does not know the test CA.
        var untrusted = _serve.Dir.File("config.toml", File.ReadAllText(config).Replace($"ldap://127.0.0.1:{closed}", $"ldaps://127.0.0.1:{_ldapsPort}")
            .Replace("ca = ", "# ca = "));
        url = _serve.Start(untrusted);
        (status, env, _) = await ServeIdentityTests.CallAsync(http, url, Basic("alice", "alice-pw"));
        Assert.Equal((503, "unavailable"), (status, ServeIdentityTests.Code(env)));
        Assert.Contains("TLS", env["error"]!["message"]!.GetValue<string>());
    }
}
