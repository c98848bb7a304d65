using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>
/// The ssh:// lines of the guides (docs/migrating-from-ansible.md, docs/security.md) run as written against the
/// test fleet: the migration guide's inventory is used as is, its documentation addresses (192.0.2.x) replaced
/// by the fleet's (10.251.0.x); /tmp/resh-guide is this test's directory (the fleet hosts share this file system), the working directory a folder in it.
/// </summary>
[Collection("ssh")]
public sealed class SshGuideTests(SshBackend ssh)
{
    [Fact]
    public void Every_ssh_command_of_the_guides_runs_on_the_fleet_as_shown()
    {
        using var dir = new TempDir("guide");
        var inventory = GuideDoc.Block("migrating-from-ansible.md", "ini");
        Assert.Contains("[webservers]", inventory);
        // The working directory holds the inventory and the local app.conf; /tmp/resh-guide (the uploads' destination) is its parent.
        var work = Directory.CreateDirectory(dir["work"]).FullName;
        File.WriteAllText(Path.Combine(work, "hosts.ini"), inventory.Replace("192.0.2.", "10.251.0."));
        File.WriteAllText(Path.Combine(work, "app.conf"), "port = 8080\nlog = info\n");
        var env = ssh.Env(ssh.NewStateDir());
        var commands = GuideDoc.Commands("migrating-from-ansible.md").Concat(GuideDoc.Commands("security.md")).Where(GuideDoc.Ssh).ToList();
        Assert.True(commands.Count >= 10, string.Join('\n', commands));
        var outputs = new List<string>();
        foreach (var command in commands)
        {
            Assert.False(GuideDoc.ChangesTheSystem(command), $"a guide line that changes the system must be shown with --dry-run: {command}");
            var line = command.Replace("/tmp/resh-guide", dir.Path);
            var run = Shell.Run($"cd {Shell.Q(work)} && set -o pipefail && resh() {{ \"$RESH\" \"$@\"; }}; " + line, env, TimeSpan.FromSeconds(120));
            // Where no service manager runs (a container), svc:// answers unavailable on every host: partial, nothing else.
            var noServiceManager = command.Contains("svc://", StringComparison.Ordinal) && run.ExitCode == 9
                && run.Stdout.Contains("No service manager", StringComparison.Ordinal) && !run.Stdout.Contains("\"ok\":true,\"handle\":\"svc\"", StringComparison.Ordinal);
            Assert.True(run.ExitCode == 0 || noServiceManager, $"{command}\n{run}");
            outputs.Add(run.Stdout);
        }
        string Out(string start) => outputs[commands.FindIndex(c => c.StartsWith(start, StringComparison.Ordinal))];

        Assert.Contains("\"hosts\":2", Out("resh ssh://@webservers.test"));
        var names = Out("resh ssh://@webservers/system://.hostname");
        Assert.Contains("reshf1", names);
        Assert.Contains("reshf2", names);
        Assert.Equal("port = 9090\nlog = info\n", File.ReadAllText(dir["app.conf"]));
        Assert.Contains("\"hosts\":1", Out("resh ssh://@webservers/file:///tmp/resh-guide/app.conf.stat"));
        Assert.Contains("\"status\":\"trusted\"", Out("resh ssh://web1.hostkey.get"));
    }
}
