using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Git;

/// <summary>
/// The real remotes of the git:// tests, started once per run by tests/setup/git.sh on free loopback ports: a bare
/// repository app.git (main: two commits; dev; annotated tag v1) served by `git daemon` (receive-pack on), the same
/// directory as a file:// remote, an sshd with a throwaway key, and a smart-HTTP server behind Basic auth (token in a
/// 0600 file). Teardown stops every server by PID even when tests failed. Tests that push use their own bare copy.
/// </summary>
public sealed class GitBackend : IDisposable
{
    public GitBackend()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"resh-git-{Guid.NewGuid():N}"[..19]);
        Directory.CreateDirectory(Dir);
        var ports = LoopbackPorts.Free(3);
        (DaemonPort, SshPort, HttpPort) = (ports[0], ports[1], ports[2]);
        var up = Shell.Run($"{Shell.Q(Script)} up {Shell.Q(Dir)} {DaemonPort} {SshPort} {HttpPort}", wait: TimeSpan.FromSeconds(60));
        if (up.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"tests/setup/git.sh up failed (a missing backend fails the suite):\n{up}");
        }
        Token = File.ReadAllText(Path.Combine(Dir, "token")).Trim();
    }

    public string Dir { get; }
    public int DaemonPort { get; }
    public int SshPort { get; }
    public int HttpPort { get; }
    public string Token { get; }
    public string TokenFile => Path.Combine(Dir, "token");
    public string Bare => Path.Combine(Dir, "srv", "app.git");
    public string DaemonUrl => $"git://127.0.0.1:{DaemonPort}/app.git";
    public string HttpUrl => $"http://127.0.0.1:{HttpPort}/app.git";
    public string SshUrl(string bare) => $"ssh://127.0.0.1:{SshPort}{bare}";
    /// <summary>The client config of the loopback sshd (its host key known, the throwaway key): how an operator's ~/.ssh/config would say it.</summary>
    public Dictionary<string, string> SshEnv => new() { ["GIT_SSH_COMMAND"] = $"ssh -F {Path.Combine(Dir, "ssh_config")}" };

    /// <summary>A fresh bare copy of app.git for a test that pushes (served by the daemon and reachable as a file path).</summary>
    public string CopyBare(string name)
    {
        var dest = Path.Combine(Dir, "srv", name + ".git");
        Sh($"git clone -q --bare {Shell.Q(Bare)} {Shell.Q(dest)}");
        return dest;
    }

    static string Script => Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "git.sh");

    /// <summary>Plain git for setting up and checking what resh did (identity in the environment, no global config needed).</summary>
    public static string Sh(string script)
    {
        var run = Shell.Run(script, env: Ident);
        if (run.ExitCode != 0) throw new InvalidOperationException(run.ToString());
        return run.Stdout.Trim();
    }

    public static readonly Dictionary<string, string> Ident = new()
    {
        ["GIT_AUTHOR_NAME"] = "Tester", ["GIT_AUTHOR_EMAIL"] = "tester@example.com",
        ["GIT_COMMITTER_NAME"] = "Tester", ["GIT_COMMITTER_EMAIL"] = "tester@example.com",
    };

    public void Dispose()
    {
        Shell.Run($"{Shell.Q(Script)} down {Shell.Q(Dir)}", wait: TimeSpan.FromSeconds(30));
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("git")]
public sealed class GitCollection : ICollectionFixture<GitBackend>;

internal static class GitAssert
{
    public static JsonNode Ok(ReshRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!;
    }

    public static JsonObject Fails(ReshRun run, string code)
    {
        Assert.True(run.ErrorCode == code, $"expected {code}: {run}");
        Assert.False(string.IsNullOrEmpty(run.Envelope["error"]!["hint"]?.GetValue<string>()), $"no hint: {run}");
        return run.Envelope["error"]!.AsObject();
    }

    public static string S(JsonNode? n) => n!.GetValue<string>();

    /// <summary>resh on a git:// stage: G(path, "status", "untracked=all").</summary>
    public static ReshRun G(string path, string verb, params string[] args) => ReshBinary.Run([$"git://{path}.{verb}", .. args]);

    public static ReshRun G(IDictionary<string, string> env, string path, string verb, params string[] args) =>
        ReshBinary.Run([$"git://{path}.{verb}", .. args], env: env);
}
