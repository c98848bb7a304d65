using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Registry;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// prompts: operator workflows written as steps of resh tools. A step names a tool only if this build has
/// the verb, so the text never points at a tool that does not exist.
/// </summary>
public static class McpPrompts
{
    sealed record Prompt(string Name, string Title, string Description, (string Name, string Description, bool Required)[] Args,
        Func<HandleRegistry, Func<string, string?>, string> Text);

    static Prompt[] All =>
    [
        new("diagnose-failed-unit", "Diagnose a failed service",
            "Find out why a systemd unit (or another init system's service) failed and propose a fix, changing nothing until asked.",
            [("unit", "The service, e.g. nginx or nginx.service; empty to look for failed units first.", false)],
            (r, arg) =>
            {
                var unit = arg("unit");
                var sb = new StringBuilder();
                sb.AppendLine(unit is { Length: > 0 } ? $"The service `{unit}` failed on this machine. Diagnose it with resh's tools:" : "A service failed on this machine. Diagnose it with resh's tools:");
                var n = 1;
                if (unit is not { Length: > 0 }) Step(sb, ref n, r, "svc", "list", "with `state: [\"failed\"]` to find the failed units; take each in turn.");
                var target = unit is { Length: > 0 } ? $"svc://{unit}" : "svc://UNIT";
                Step(sb, ref n, r, "svc", "status", $"on `{target}`: active state, sub-state, result, exit code, restarts, since when.");
                Step(sb, ref n, r, "svc", "logs", $"on `{target}` with `lines: 100` (and `since` the failure) for the error messages around the failure.");
                Step(sb, ref n, r, "svc", "cat", $"on `{target}` to read the unit file and its drop-ins (ExecStart, User, WorkingDirectory, dependencies).");
                Step(sb, ref n, r, "file", "stat", "on any path the logs or the unit name (binaries, config files, sockets) to check it exists with the right owner and mode.");
                Step(sb, ref n, r, "file", "read", "on the service's configuration file if the logs point at a configuration error.");
                sb.AppendLine();
                sb.AppendLine("Then explain the cause in two or three sentences and propose the fix as resh tool calls. Run nothing that changes the machine (svc_restart, file_write, ...) until the user agrees; run a change with `dry_run: true` first and show what it would do.");
                return sb.ToString();
            }),
        new("free-disk-space", "Free disk space",
            "Find what fills a filesystem and propose what can be removed safely, deleting nothing without confirmation.",
            [("path", "A directory on the full filesystem (default /).", false), ("goal", "How much to free, e.g. 5GiB (optional).", false)],
            (r, arg) =>
            {
                var path = arg("path") is { Length: > 0 } p ? p : "/";
                var sb = new StringBuilder();
                sb.AppendLine($"The filesystem holding `{path}` is running out of space{(arg("goal") is { Length: > 0 } g ? $"; the goal is to free {g}" : "")}. Use resh's tools:");
                var n = 1;
                Step(sb, ref n, r, "fs", "usage", $"on `fs://{path}` for size, used and available bytes and inodes.");
                Step(sb, ref n, r, "fs", "mounts", "to see which filesystem that is and what else is mounted beneath it (so a listing does not wander into other filesystems).");
                Step(sb, ref n, r, "file", "list", $"on `file://{path}` with `recursive: true, sort: \"size\", limit: 50` (largest first) to find the largest files (logs, caches, core dumps, old packages).");
                Step(sb, ref n, r, "svc", "logs", "only if the journal itself is large: check how much it holds before proposing a vacuum.");
                Step(sb, ref n, r, "file", "delete", "for each file the user agrees to remove: first with `dry_run: true`, then for real once confirmed (the server asks for confirmation of destructive calls).");
                sb.AppendLine();
                sb.AppendLine("Never remove files a package owns, databases, or anything under /etc without asking. Report how much each proposal would free, and the free space after.");
                return sb.ToString();
            }),
        new("check-host", "Check a host's health",
            "A quick read-only health check of a machine (local, or through ssh with the host argument of each tool).",
            [("host", "Run the checks on this host through ssh (optional; empty = this machine).", false)],
            (r, arg) =>
            {
                var host = arg("host");
                var sb = new StringBuilder();
                sb.AppendLine(host is { Length: > 0 } ? $"Check the health of `{host}`: pass `host: \"{host}\"` to each tool." : "Check the health of this machine.");
                var n = 1;
                Step(sb, ref n, r, "system", "info", "for the OS, kernel and uptime.");
                Step(sb, ref n, r, "system", "load", "for the load averages against the number of CPUs.");
                Step(sb, ref n, r, "system", "memory", "for used and available memory and swap.");
                Step(sb, ref n, r, "fs", "usage", "on `fs:///` (and other large mounts) for free space and inodes.");
                Step(sb, ref n, r, "svc", "list", "with `state: [\"failed\"]` for failed services.");
                sb.AppendLine();
                sb.AppendLine("Summarise what is healthy and what needs attention, in that order. This is read-only: change nothing.");
                return sb.ToString();
            }),
    ];

    static void Step(StringBuilder sb, ref int n, HandleRegistry r, string scheme, string verb, string what)
    {
        if (r.Find(scheme)?.FindVerb(verb) is null) return;
        sb.AppendLine($"{n++}. `{McpTool.NameOf(scheme, verb)}` {what}");
    }

    public static JsonObject List(HandleRegistry registry)
    {
        var prompts = new JsonArray();
        foreach (var p in All)
        {
            var args = new JsonArray();
            foreach (var (name, description, required) in p.Args)
                args.Add((JsonNode)new JsonObject { ["name"] = name, ["description"] = description, ["required"] = required });
            prompts.Add((JsonNode)new JsonObject { ["name"] = p.Name, ["title"] = p.Title, ["description"] = p.Description, ["arguments"] = args });
        }
        return new JsonObject { ["prompts"] = prompts };
    }

    public static JsonObject Get(HandleRegistry registry, JsonObject p)
    {
        var name = p["name"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
            : throw new JsonRpcException(JsonRpcCodes.InvalidParams, "prompts/get needs a name.");
        var prompt = All.FirstOrDefault(x => x.Name == name)
            ?? throw new JsonRpcException(JsonRpcCodes.InvalidParams, $"Unknown prompt: {(name.Length > 80 ? name[..80] + "…" : name)}.");
        var given = p["arguments"] as JsonObject;
        if (p["arguments"] is not null and not JsonObject)
            throw new JsonRpcException(JsonRpcCodes.InvalidParams, "prompts/get arguments must be an object of strings.");
        foreach (var (key, value) in given ?? [])
        {
            if (!prompt.Args.Any(a => a.Name == key))
                throw new JsonRpcException(JsonRpcCodes.InvalidParams, $"Prompt {prompt.Name} has no argument {(key.Length > 40 ? key[..40] : key)}; it takes {string.Join(", ", prompt.Args.Select(a => a.Name))}.");
            if (value is not JsonValue sv || sv.GetValueKind() != JsonValueKind.String)
                throw new JsonRpcException(JsonRpcCodes.InvalidParams, $"Prompt argument {key} must be a string.");
        }
        string? Arg(string key) => given?[key] is JsonValue s ? s.GetValue<string>() : null;
        return new JsonObject
        {
            ["description"] = prompt.Description,
            ["messages"] = new JsonArray(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonObject { ["type"] = "text", ["text"] = prompt.Text(registry, Arg) },
            }),
        };
    }
}
