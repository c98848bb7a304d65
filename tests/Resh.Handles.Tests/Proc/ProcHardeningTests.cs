using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Proc;

/// <summary>Issue 9 and 10 for proc://: bounded spawn argv, secrets kept out of info, resident memory as the kernel reports it.</summary>
public sealed class ProcHardeningTests : IDisposable
{
    readonly ChildProcesses _procs = new();

    public void Dispose() => _procs.Dispose();

    [Fact]
    public void A_spawn_argv_beyond_arg_max_is_usage_not_a_crash()
    {
        // 400,000 one-character arguments: 3.2 MB of pointers alone, past ARG_MAX and far past any stack.
        var argv = new JsonArray([JsonValue.Create("true"), .. Enumerable.Repeat(0, 400_000).Select(_ => (JsonNode?)JsonValue.Create("x"))]);
        var run = ReshBinary.Run(["proc://.spawn", "--args", "-"], stdin: new JsonObject { ["argv"] = argv }.ToJsonString());
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("ARG_MAX", run.Envelope["error"]!["message"]!.GetValue<string>());

        var oneHuge = new JsonArray("true", new string('y', 200_000));
        var huge = ReshBinary.Run(["proc://.spawn", "--args", "-"], stdin: new JsonObject { ["argv"] = oneHuge }.ToJsonString());
        Assert.Equal("usage", huge.ErrorCode);
    }

    [Fact]
    public void A_spawn_argv_below_the_limit_still_runs()
    {
        using var dir = new TempDir("spawnmany");
        var log = dir["out.log"];
        var argv = new JsonArray([JsonValue.Create("sh"), JsonValue.Create("-c"), JsonValue.Create("echo $#"), JsonValue.Create("sh"),
            .. Enumerable.Repeat(0, 20_000).Select(_ => (JsonNode?)JsonValue.Create("x"))]);
        var run = ReshBinary.Run(["proc://.spawn", $"stdout={log}", "--args", "-"], stdin: new JsonObject { ["argv"] = argv }.ToJsonString());
        Assert.True(run.Ok, run.ToString());
        _procs.Adopt(run.Result!["pid"]!.GetValue<int>());
        ChildProcesses.WaitUntil(() => File.Exists(log) && File.ReadAllText(log).Trim() == "20000");
    }

    public static TheoryData<string, string, bool> EnvCases => new()
    {
        // name, value, must be hidden
        { "MYSQL_PWD", "hunter2", true },
        { "JWT", "eyJhbGciOiJIUzI1NiJ9.e30.abc", true },
        { "BEARER", "abc123", true },
        { "API_BEARER_VALUE", "abc123", true },
        { "CREDS", "user:pass", true },
        { "AWS_CREDS_JSON", "{\"k\":1}", true },
        { "OTP", "123456", true },
        { "MFA_OTP", "123456", true },
        { "SIM_PIN", "1234", true },
        { "PIN", "1234", true },
        { "PW", "hunter2", true },
        { "ADMIN_PW", "hunter2", true },
        { "GITHUB_TOKEN", "ghp_x", true },
        { "DB_PASSWORD", "secret", true },
        { "CLIENTSECRET", "s", true },
        { "SENTRY_DSN", "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/42", true },
        { "DATABASE_URL", "postgres://app:s3cr3t@db.internal:5432/app", true },
        { "PG_CONN", "host=db user=app password=s3cr3t dbname=app", true },
        { "ODBC", "Server=db;Uid=app;Pwd=s3cr3t;", true },
        { "HOOK", "https://hooks.example/x?token=abcd&x=1", true },
        // Not secrets: shown as they are.
        { "PWD", "/srv/app", false },
        { "OLDPWD", "/root", false },
        { "HOME", "/root", false },
        { "PINNED_VERSION", "1.2.3", false },
        { "SPINNER", "dots", false },
        { "HOTPLUG", "1", false },
        { "REPO_URL", "https://github.com/org/repo", false },
        { "GIT_SSH_URL", "ssh://git@github.com/org/repo", false },
    };

    [Theory]
    [MemberData(nameof(EnvCases))]
    public void Info_with_env_redacts_secret_values_and_shows_the_rest(string name, string value, bool secret)
    {
        var p = _procs.Start(["sleep", "300"], new Dictionary<string, string> { [name] = value });
        var run = ReshBinary.Run($"proc://{p.Id}.info", "env=true");
        Assert.True(run.Ok, run.ToString());
        var shown = run.Result!["env"]![name]!.GetValue<string>();
        var redacted = run.Result!["env_redacted"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        if (secret)
        {
            Assert.Contains("***", shown);
            Assert.Contains(name, redacted);
            Assert.DoesNotContain($"\"{name}\":\"{value.Replace("\"", "\\\"")}\"", run.Stdout);
            foreach (var piece in new[] { "hunter2", "s3cr3t", "0123456789abcdef0123456789abcdef", "token=abcd", "abc123", "ghp_x", "eyJhbGciOiJIUzI1NiJ9" })
                if (value.Contains(piece, StringComparison.Ordinal)) Assert.DoesNotContain(piece, run.Stdout);
        }
        else
        {
            Assert.Equal(value, shown);
            Assert.DoesNotContain(name, redacted);
        }
    }

    [Fact]
    public void Secret_options_in_argv_are_masked_in_info_list_and_tree()
    {
        var p = _procs.Start(["sh", "-c", "sleep 300", "prog", "--password=hunter2", "--token", "tok-77", "API_TOKEN=tok-88",
            "postgres://app:pw-99@db/app", "--verbose", "--password-file=/etc/pw"]);
        foreach (var verb in new[] { "info", "list", "tree" })
        {
            var run = ReshBinary.Run($"proc://{p.Id}.{verb}");
            Assert.True(run.Ok, run.ToString());
            foreach (var secret in new[] { "hunter2", "tok-77", "tok-88", "pw-99" }) Assert.DoesNotContain(secret, run.Stdout);
            Assert.Contains("--password=***", run.Stdout);
            Assert.Contains("--verbose", run.Stdout);
            Assert.Contains("--password-file=/etc/pw", run.Stdout);
        }
        var info = ReshBinary.Run($"proc://{p.Id}.info");
        var argv = info.Result!["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Equal(["sh", "-c", "sleep 300", "prog", "--password=***", "--token", "***", "API_TOKEN=***", "postgres://app:***@db/app", "--verbose", "--password-file=/etc/pw"], argv);
    }

    [Fact]
    public void Resident_memory_is_vmrss_from_status()
    {
        // A process that touched 64 MiB and sleeps: its VmRSS is stable while it sleeps.
        var p = _procs.Start(["python3", "-c", "import time; b = bytearray(b'x' * (64 << 20)); time.sleep(300)"]);
        ChildProcesses.WaitUntil(() => VmRss(p.Id) > 60L << 20, 60000); // python under a loaded machine can take long to fill it
        // Compare while the number holds still: VmRSS before and after the call must agree with resh's.
        for (int attempt = 0; ; attempt++)
        {
            var before = VmRss(p.Id);
            var info = ReshBinary.Run($"proc://{p.Id}.info").Result!["rss_bytes"]!.GetValue<long>();
            var list = ReshBinary.Run($"proc://{p.Id}.list").Result!["processes"]![0]!["rss_bytes"]!.GetValue<long>();
            var after = VmRss(p.Id);
            if (before != after && attempt < 20) { Thread.Sleep(200); continue; }
            Assert.Equal(before, info);
            Assert.Equal(before, list);
            break;
        }
    }

    static long VmRss(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
