using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Mcp;

/// <summary>
/// Review s36 attacker #3: `resh mcp --allow 'VERB:PATTERN'` checked dest's real path, then wrote by name, so whoever owns
/// a directory under the pattern flipped a symlink between the check and the write and a root file outside the pattern
/// was rewritten. The writers now check the directory descriptor they write through.
/// </summary>
public sealed class McpWriteRaceTests : IDisposable
{
    readonly TempDir _dir = new("mcprace");
    Process? _swapper;

    public void Dispose()
    {
        if (_swapper is { } s)
        {
            try { if (!s.HasExited) { s.Kill(); s.WaitForExit(5000); } } catch (InvalidOperationException) { }
            s.Dispose();
        }
        _dir.Dispose();
    }

    static bool IsRoot => Shell.Run("id -u").Stdout.Trim() == "0";

    // Flips m/out.conf between a link to okfile (inside the pattern) and one to ../victim/target (outside).
    const string Swap = """
        import os, sys, time
        os.chdir(sys.argv[1])
        end = time.time() + float(sys.argv[2])
        while time.time() < end:
            for t in ("okfile", "../victim/target"):
                try:
                    os.symlink(t, "tmp")
                    os.replace("tmp", "out.conf")
                except FileExistsError:
                    os.unlink("tmp")
        """;

    [Fact]
    public void A_symlink_flipped_between_the_check_and_the_write_never_takes_a_write_outside_the_allowed_tree()
    {
        if (!IsRoot) return; // the attacker is uid 65534 and the victim a root-only file
        var b = _dir.Path;
        var m = _dir["m"];
        var victim = _dir.File("victim/target", "VICTIM\n");
        var setup = Shell.Run($"""
            set -e
            chmod 0755 {Shell.Q(b)}
            chmod 0600 {Shell.Q(victim)}
            mkdir {Shell.Q(m)}
            printf 'mcp-wrote-this\n' > {Shell.Q(m)}/t.j2
            printf 'ok\n' > {Shell.Q(m)}/okfile
            ln -s okfile {Shell.Q(m)}/out.conf
            chown -R 65534:65534 {Shell.Q(m)} && chown -h 65534:65534 {Shell.Q(m)}/out.conf
            """);
        Assert.True(setup.ExitCode == 0, setup.ToString());

        using var mcp = new McpProcess("--allow-reveal", "--allow", $"template.render:template://{m}/*", "--allow", $"file.write:file://{m}/*");
        mcp.Initialize();
        // Control, no race: the link to the victim is refused before the call.
        Shell.Run($"ln -sfn ../victim/target {Shell.Q(m)}/out.conf && chown -h 65534:65534 {Shell.Q(m)}/out.conf");
        var control = mcp.CallTool(1, "template_render", new JsonObject { ["target"] = $"template://{m}/t.j2", ["dest"] = $"{m}/out.conf", ["follow"] = true });
        Assert.Equal("permission_denied", McpProcess.Code(control));

        _swapper = Process.Start(new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", Swap, m, "90"]) { UseShellExecute = false })!;
        int ok = 0, refusedAtWrite = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        const int Calls = 2000, Window = 50;
        for (int sent = 0; sent < Calls && clock.Elapsed < TimeSpan.FromSeconds(80); sent += Window)
        {
            for (int i = 0; i < Window; i++)
            {
                var id = 10 + sent + i;
                var call = id % 2 == 0
                    ? new JsonObject { ["name"] = "template_render", ["arguments"] = new JsonObject { ["target"] = $"template://{m}/t.j2", ["dest"] = $"{m}/out.conf", ["follow"] = true } }
                    : new JsonObject { ["name"] = "file_write", ["arguments"] = new JsonObject { ["target"] = $"file://{m}/out.conf", ["content"] = "mcp-wrote-this\n" } };
                mcp.Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/call", ["params"] = call }.ToJsonString());
            }
            for (int i = 0; i < Window; i++)
            {
                var env = mcp.Next(60_000)["result"]!["structuredContent"]!.AsObject();
                if (McpProcess.Code(env) is null) ok++;
                else if (env["error"]!["message"]!.GetValue<string>().Contains("where the path leads now", StringComparison.Ordinal)) refusedAtWrite++;
                else refused++;
            }
            Assert.Equal("VICTIM\n", File.ReadAllText(victim));
        }
        _swapper.Kill();
        Assert.Equal("VICTIM\n", File.ReadAllText(victim));
        Assert.True(ok > 0 && refused > 0, $"ok {ok}, refused before the call {refused}, at the write {refusedAtWrite}");
        Assert.Equal(0, mcp.CloseAndWait());
    }
}
