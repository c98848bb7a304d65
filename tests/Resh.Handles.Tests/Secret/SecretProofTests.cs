using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>
/// The proof of SPEC §8 for secrets: a canary stored with secret:// and used by several verbs of several
/// handles (secret.get/list/exec/export, archive with password=secret:NAME, batch, dry runs, failures), all
/// under --verbose and in several formats, while a sampler snapshots every /proc/*/cmdline. The canary must
/// appear in no envelope, no stderr, no command line, and no file under the state directory except the
/// encrypted keystore.
/// </summary>
public sealed class SecretProofTests
{
    [Fact]
    public void The_canary_appears_in_no_output_no_command_line_and_no_state_file()
    {
        using var kit = new SecretKit();
        var canary = SecretKit.Canary();
        SecretKit.Ok(kit.Stdin(canary, "secret://proof/canary.set", "value=@-", "--verbose"));

        var cmdlines = new HashSet<string>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var sampler = new Thread(() => Sample(cmdlines, stop.Token)) { IsBackground = true };
        sampler.Start();

        var src = Path.Combine(kit.Temp, "src");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "data.txt"), "payload\n");
        var zip = Path.Combine(kit.Temp, "p.zip");
        var bundle = Path.Combine(kit.Temp, "p.bundle");
        var calls = new List<string[]>
        {
            new[] { "secret://proof/canary.get" },
            new[] { "secret://proof/canary.get", "--format", "table" },
            new[] { "secret://proof/canary.get", "--format", "yaml" },
            new[] { "secret://proof/canary.exists" },
            new[] { "secret://.list" },
            new[] { "secret://proof/canary.versions" },
            new[] { "secret://proof/copy.set", "value=secret:proof/canary" },
            new[] { "secret://proof/copy.set", "value=secret:proof/canary", "--dry-run" },
            new[] { "secret://.exec(command=env,env=CANARY:proof/canary)" },
            new[] { "secret://.exec", "env=CANARY:proof/canary", "--format", "table", "--", "sh", "-c", "sleep 0.5; printf 'got %s\\n' \"$CANARY\"" },
            new[] { "secret://.exec", "env=CANARY:proof/canary", "--", "sh", "-c", "echo \"failing with $CANARY\" >&2; exit 3" },
            // Streamed (raw, ndjson) with the value split across two writes of the program.
            new[] { "secret://.exec", "env=CANARY:proof/canary", "--format", "raw", "--", "sh", "-c", "h=${CANARY%??????????}; printf %s \"$h\"; sleep 0.2; printf '%s\\n' \"${CANARY#\"$h\"}\"; echo \"$CANARY\" >&2; exit 5" },
            new[] { "secret://.exec", "env=CANARY:proof/canary", "--format", "ndjson", "--", "sh", "-c", "echo \"$CANARY\"; echo \"e $CANARY\" >&2" },
            new[] { $"archive://{zip}.create(sources={src})", "password=secret:proof/canary" },
            new[] { $"archive://{zip}.list", "password=secret:proof/canary", "--format", "ndjson" },
            new[] { $"archive://{zip}.test", "password=secret:proof/canary" },
            new[] { $"archive://{zip}.extract(destination={Path.Combine(kit.Temp, "out")})", "password=secret:proof/canary" },
            new[] { $"archive://{zip}.extract(destination={Path.Combine(kit.Temp, "out2")})", "password=secret:proof/canary", "--dry-run" },
            new[] { $"archive://{Path.Combine(kit.Temp, "missing.zip")}.extract(destination={Path.Combine(kit.Temp, "out3")})", "password=secret:proof/canary" },
            new[] { "secret://.export", $"file={bundle}", "passphrase=secret:proof/canary" },
            new[] { "secret://proof/canary.get", "--format", "raw" },
        };
        foreach (var call in calls) kit.Run([.. call, "--verbose"]);

        var batch = string.Join('\n',
            new JsonObject { ["id"] = 1, ["stage"] = $"archive://{zip}", ["verb"] = "test", ["args"] = new JsonObject { ["password"] = "secret:proof/canary" } }.ToJsonString(),
            new JsonObject { ["id"] = 2, ["stage"] = "secret://proof/canary", ["verb"] = "get" }.ToJsonString(),
            new JsonObject { ["id"] = 3, ["stage"] = "secret://", ["verb"] = "exec", ["args"] = new JsonObject { ["command"] = "env", ["env"] = "CANARY:proof/canary" } }.ToJsonString(),
            new JsonObject { ["id"] = 4, ["stage"] = $"archive://{zip}", ["verb"] = "test", ["args"] = new JsonObject { ["password"] = canary } }.ToJsonString()) + "\n";
        kit.Run(["batch", "--verbose"], batch);

        stop.Cancel();
        sampler.Join();

        // The calls did what they should (so the absence of the canary means something).
        Assert.True(kit.Runs.Count(r => r.ExitCode == 0) >= calls.Count - 4, string.Join("\n", kit.Runs.Select(r => r.ToString())));
        Assert.Contains("CANARY=***", kit.Runs[9].Stdout);
        Assert.Contains("got ***", kit.Runs[10].Stdout);
        Assert.Equal("payload\n", File.ReadAllText(Path.Combine(kit.Temp, "out", "src", "data.txt")));
        Assert.Equal(4, kit.Runs[^1].Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains(cmdlines, c => c.Contains("secret://", StringComparison.Ordinal)); // the sampler saw resh running
        Assert.Contains(cmdlines, c => c.Contains("sleep 0.5", StringComparison.Ordinal)); // and the exec'd child

        foreach (var run in kit.Runs)
        {
            Assert.DoesNotContain(canary, run.Stdout);
            Assert.DoesNotContain(canary, run.Stderr);
        }
        Assert.Contains(kit.Runs, r => r.Stderr.Contains("resh: ", StringComparison.Ordinal)); // --verbose logs were there to search
        Assert.DoesNotContain(cmdlines, c => c.Contains(canary, StringComparison.Ordinal));
        foreach (var file in Directory.EnumerateFiles(kit.Home, "*", SearchOption.AllDirectories))
        {
            if (file == kit.Keystore) continue;
            Assert.False(Encoding.UTF8.GetString(File.ReadAllBytes(file)).Contains(canary, StringComparison.Ordinal), $"the canary is in {file}");
        }
        Assert.DoesNotContain(canary, File.ReadAllText(kit.Keystore));
        Assert.DoesNotContain(canary, File.ReadAllText(bundle));
    }

    /// <summary>Reads every process's command line again and again until stopped (a bounded loop: the calls take seconds).</summary>
    static void Sample(HashSet<string> seen, CancellationToken stop)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (!stop.IsCancellationRequested && DateTime.UtcNow < deadline)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                var name = Path.GetFileName(dir);
                if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
                try
                {
                    var bytes = File.ReadAllBytes(Path.Combine(dir, "cmdline"));
                    if (bytes.Length > 0) lock (seen) seen.Add(Encoding.UTF8.GetString(bytes).Replace('\0', ' '));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            }
        }
    }
}
