using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Agent;

/// <summary>`resh agent key create`: a caller's Ed25519 key for signing agent:// calls (a verb of the hidden resh handle).</summary>
public static class AgentKeyVerbs
{
    static readonly Arg<string?> Name = Arg.String("name", "The key's name, which is also the caller's name in the agents' [agent.callers.NAME]; letters, digits, _ - .", required: true, examples: ["alice"]);
    static readonly Arg<string?> Role = Arg.String("role", "The role to print in the agents' config lines (a [roles.NAME] table there).", "ops", examples: ["ops"]);

    public static IEnumerable<VerbInfo> Create()
    {
        yield return VerbInfo.Define("agent.key.create", Effect.Mutate, "Create an Ed25519 key for signing agent:// calls and print the line agents trust it by.", [Name, Role],
            () => AgentJson.Default.AgentKeyResult,
            ctx => CreateKey(ctx),
            notes: "The private key is written to agent/keys/NAME.key in the state dir (0600; never printed). Give the printed [agent.callers.NAME] lines to every agent's config, " +
                   "and set [agent] key = \"NAME\" in the caller's config. A key kept in a secret store works too: [agent] key = \"secret:NAME\" holding the file's line, with caller = \"NAME\".",
            examples: [new("agent key create name=alice role=ops", "A key for alice; the output has the lines for the agents' config.")]);
    }

    static Outcome<AgentKeyResult> CreateKey(VerbContext ctx)
    {
        var name = ctx.Get(Name)!;
        var role = ctx.Get(Role)!;
        if (!AgentWire.ValidWord(name)) return ReshError.Usage($"`{AgentSettings.Clip(name)}` is not a key name.", "Use 1 to 64 letters, digits, `_`, `-` or `.` (name=alice).");
        if (!AgentWire.ValidWord(role)) return ReshError.Usage($"`{AgentSettings.Clip(role)}` is not a role name.", "Use the name of a [roles.NAME] table (role=ops).");
        var path = AgentKeys.KeyPath(ctx.Runtime.Paths, name);
        if (File.Exists(path))
            return ReshError.Conflict($"An agent key named `{name}` exists already ({path}).", "Choose another name, or remove that file first if the key is no longer trusted anywhere.");
        var seed = AgentKeys.NewSeed();
        var pub = AgentKeys.PublicText(seed);
        var lines = $"[agent.callers.{name}]\nkey = \"{pub}\"\nrole = \"{role}\"\n";
        if (ctx.DryRun) return Outcome.Changed(new AgentKeyResult(name, pub, path, lines), true);
        if (!AgentKeys.Write(ctx.Runtime.Paths, name, seed))
            return ReshError.Conflict($"An agent key named `{name}` exists already ({path}).", "Choose another name.");
        return Outcome.Changed(new AgentKeyResult(name, pub, path, lines), true);
    }
}
