using Resh.Core.Execution;
using Resh.Core.Registry;

namespace Resh.Surfaces.Mcp;

/// <summary>What every session of one server shares: the registry, the policy, the tool catalog and the base runtime.</summary>
/// <remarks>Streamable HTTP shares one <paramref name="tools"/> catalog among the sessions of one role.</remarks>
public sealed class McpServerInfo(HandleRegistry registry, ReshRuntime runtime, McpPolicy policy, string version, McpToolCatalog? tools = null)
{
    public HandleRegistry Registry { get; } = registry;
    public ReshRuntime Runtime { get; } = runtime;
    public McpPolicy Policy { get; } = policy;
    public string Version { get; } = version;
    /// <summary>Told of every tools/call's end (handle, verb, outcome code, seconds); null: nobody counts them.</summary>
    public Action<string, string, string, double>? OnToolCall { get; init; }
    /// <summary>The tools of this session; replaced (then notifications/tools/list_changed) when the installed plugins change.</summary>
    public McpToolCatalog Tools { get; set; } = tools ?? new(registry, policy, runtime.Log);

    public const string Instructions =
        "resh exposes every resource of this machine as a URI and every operation as a verb: one tool per verb " +
        "(file_read, svc_restart, ...). Pass the resource in `target` (file:///etc/hosts, svc://nginx), the verb's " +
        "arguments beside it, and `host` to run it on another machine through ssh. Every answer is one JSON envelope: " +
        "`ok`, `result`, `changed`, and on failure `error` with a `code`, a one-sentence `message` and a `hint`. " +
        "Mutating tools take `dry_run: true` to report what would change without changing it; use it first.";
}
