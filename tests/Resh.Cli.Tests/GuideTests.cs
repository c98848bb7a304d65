using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>
/// The guides under docs/ cannot rot: every command line of their sh blocks runs against the native binary, in
/// order, in a private HOME and state dir (the install lines, scripts/ and apt, are what DebPackageTests runs;
/// the ssh:// lines are run against the test fleet by SshGuideTests).
/// </summary>
public sealed class GuideTests
{
    [Fact]
    public void Every_command_of_getting_started_runs_as_shown()
    {
        using var home = new TempDir("guide");
        var commands = GuideDoc.Commands("getting-started.md");
        Assert.True(commands.Count >= 15, string.Join('\n', commands));
        var outputs = new List<ShellRun>();
        foreach (var command in commands)
        {
            // The page's scratch file goes into this test's own directory.
            var line = command.Replace("/tmp/resh-hello.txt", home["resh-hello.txt"]);
            var run = Shell.Run("set -o pipefail; resh() { \"$RESH\" \"$@\"; }; " + line, new Dictionary<string, string> { ["HOME"] = home.Path });
            Assert.True(run.ExitCode == 0, $"{command}\n{run}");
            outputs.Add(run);
        }
        string Out(string start) => outputs[commands.FindIndex(c => c.StartsWith(start, StringComparison.Ordinal))].Stdout;
        Assert.Contains("\"changed\":false", Out("resh file:///tmp/resh-hello.txt.write content=hello --format json"));
        var error = Out("resh file:///nonexistent.read");
        Assert.Contains("\"code\":\"not_found\"", error);
        Assert.Contains("exit 3", error);
        Assert.StartsWith("{\n  \"ok\": true", Out("resh system://.hostname")); // the config's format = "json-pretty"
        Assert.False(File.Exists(home["resh-hello.txt"]));
    }

    /// <summary>
    /// Runs a guide's local lines in order: /tmp/resh-guide is this test's directory (also the working directory),
    /// HOME and RESH_HOME are private, 127.0.0.1:8000 is a local HTTP server serving that directory. A line that
    /// would change this machine must be a dry run; a svc:// line may answer unavailable where no service manager
    /// runs (a container), nothing else may fail unless the line says so (|| echo).
    /// </summary>
    static (List<string> Commands, Func<string, string> Out) RunLocal(string doc, TempDir dir, int port = 0)
    {
        var commands = GuideDoc.Commands(doc).Where(l => !GuideDoc.Ssh(l)).ToList();
        var outputs = new List<string>();
        var env = new Dictionary<string, string> { ["HOME"] = dir["home"], ["RESH_HOME"] = dir["home/state"] };
        Directory.CreateDirectory(dir["home"]);
        foreach (var command in commands)
        {
            Assert.False(GuideDoc.ChangesTheSystem(command), $"a guide line that changes the system must be shown with --dry-run: {command}");
            var line = command.Replace("/tmp/resh-guide", dir.Path).Replace("127.0.0.1:8000", $"127.0.0.1:{port}");
            var run = Shell.Run($"cd {Shell.Q(dir.Path)} && set -o pipefail && resh() {{ \"$RESH\" \"$@\"; }}; " + line, env);
            var noServiceManager = command.Contains("svc://", StringComparison.Ordinal) && run.ExitCode == 7 && run.Stdout.Contains("No service manager", StringComparison.Ordinal);
            Assert.True(run.ExitCode == 0 || noServiceManager, $"{command}\n{run}");
            Assert.DoesNotContain("\"code\":\"usage\"", run.Stdout);
            outputs.Add(run.Stdout);
        }
        return (commands, start => outputs[commands.FindIndex(c => c.StartsWith(start, StringComparison.Ordinal))]);
    }

    [Fact]
    public void Every_local_command_of_the_ansible_migration_guide_runs_as_shown()
    {
        using var dir = new TempDir("guide");
        using var server = HttpServer.Serve(dir.Path);
        var (commands, Out) = RunLocal("migrating-from-ansible.md", dir, server.Port);
        Assert.True(commands.Count >= 20, string.Join('\n', commands));

        Assert.Equal("port = 9090\nlog = warn\n", File.ReadAllText(dir["app/app.conf"]));
        Assert.Contains("\"dry_run\":true", Out("resh file:///tmp/resh-guide/app/app.conf.replace pattern='^log = .*$' replacement='log = warn' --dry-run"));
        Assert.Contains("+log = warn", Out("resh file:///tmp/resh-guide/app/app.conf.replace pattern='^log = .*$' replacement='log = warn' --dry-run"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir["app/app.conf"]));
        Assert.False(File.Exists(dir["app/app.conf.orig"]));
        Assert.Equal("app.conf", new FileInfo(dir["app/current"]).LinkTarget);
        Assert.Equal(File.ReadAllBytes(dir["app.tar.gz"]), File.ReadAllBytes(dir["dl/app.tar.gz"]));
        Assert.Equal("port = 9090\nlog = warn\n", File.ReadAllText(dir["release/app/app.conf"]));
        // The dry runs of system changes said what they would do.
        Assert.Contains("\"useradd\"", Out("resh user://deploy.add"));
        Assert.Contains("BEGIN resh backup", Out("resh cron://backup.add"));
        Assert.Contains("\"dry_run\":true", Out("resh 'firewall://.allow"));
    }

    [Fact]
    public void Every_local_command_of_the_security_guide_runs_as_shown()
    {
        using var dir = new TempDir("guide");
        var (commands, Out) = RunLocal("security.md", dir);
        Assert.True(commands.Count >= 12, string.Join('\n', commands));

        var extract = Out("resh 'archive:///tmp/resh-guide/evil.tar.extract");
        Assert.Contains("\"refused\":[{\"path\":\"../note.txt\"", extract);
        Assert.Matches(@"exit [1-9]", extract);
        Assert.False(File.Exists(dir["note.txt"]), "nothing lands outside the destination");

        Assert.Equal("mine", File.ReadAllText(dir["link.txt"]));
        Assert.Null(new FileInfo(dir["link.txt"]).LinkTarget);
        Assert.False(File.Exists(dir["target.txt"]), "follow=false replaced the link, the file it pointed to was not made");

        Assert.Contains("\"value\":\"***\"", Out("resh secret://db/app.get"));
        var exec = Out("resh 'secret://.exec");
        Assert.Equal("DB_PASSWORD=***", exec.Trim());
        Assert.Contains("\"dry_run\":true", Out("resh file:///tmp/resh-guide/app.conf.write content=new --dry-run"));
        Assert.Equal("old", File.ReadAllText(dir["app.conf"]));

        var state = Out("find ").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(state, l => l.EndsWith("/state/secrets/local.keystore", StringComparison.Ordinal));
        foreach (var l in state) Assert.True(System.Text.RegularExpressions.Regex.IsMatch(l, "^(700|600) "), $"not private: {l}");
    }

    /// <summary>python3's http.server on a free loopback port, serving a directory; stopped by PID on dispose.</summary>
    sealed class HttpServer : IDisposable
    {
        readonly Process _process;
        public int Port { get; }

        HttpServer(Process process, int port) => (_process, Port) = (process, port);

        public static HttpServer Serve(string dir)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var psi = new ProcessStartInfo("python3", ["-m", "http.server", port.ToString(), "--bind", "127.0.0.1", "--directory", dir])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            var process = Process.Start(psi)!;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new HttpServer(process, port);
            for (int i = 0; i < 100; i++)
            {
                try
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, port);
                    return server;
                }
                catch (SocketException) { Thread.Sleep(50); }
            }
            server.Dispose();
            throw new InvalidOperationException("python3 -m http.server did not start listening");
        }

        public void Dispose()
        {
            try { _process.Kill(); } catch (InvalidOperationException) { }
            _process.WaitForExit(5000);
            _process.Dispose();
        }
    }
}
