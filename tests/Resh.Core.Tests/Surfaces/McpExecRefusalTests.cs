using Resh.Core.Errors;
using Resh.Surfaces.Mcp;
using Xunit;

namespace Resh.Core.Tests.Surfaces;

/// <summary>
/// s40 user D8: a server role without exec refuses an ssh:// stage; the refusal names the inner handle.verb and that it
/// runs over ssh:// (ssh.* is what runs programs), not as if the inner verb itself ran programs.
/// </summary>
public sealed class McpExecRefusalTests
{
    [Fact]
    public void An_inner_verb_over_ssh_is_refused_naming_both()
    {
        var registry = Resh.Cli.HandleCatalog.Build();
        var ssh = registry.Find("ssh")!;
        var uptime = registry.Find("system")!.FindVerb("uptime")!;
        var role = new McpPolicy { Exec = false, Role = "ops" }.ExecRefusal(ssh, uptime)!;
        Assert.Equal(ErrorCode.PermissionDenied, role.Code);
        Assert.Contains("system.uptime over ssh://", role.Message);
        Assert.Contains("ssh.*", role.Message);
        Assert.Contains("system.uptime", role.Hint!);
        Assert.Contains("[roles.ops]", role.Hint!);
        var server = new McpPolicy { Exec = false }.ExecRefusal(ssh, uptime)!;
        Assert.Contains("system.uptime over ssh://", server.Message);

        // A local verb that runs programs keeps its own name alone; exec = true refuses nothing.
        var proc = registry.Find("proc")!;
        var spawn = proc.FindVerb("spawn")!;
        Assert.DoesNotContain(" over ", new McpPolicy { Exec = false, Role = "ops" }.ExecRefusal(proc, spawn)!.Message);
        Assert.Null(new McpPolicy { Exec = true }.ExecRefusal(ssh, uptime));
    }
}
