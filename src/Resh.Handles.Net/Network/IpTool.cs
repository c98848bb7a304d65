using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Net.Network;

/// <summary>iproute2's `ip`, run with argv arrays; reads use its JSON mode (`ip -j`), never its text.</summary>
internal static class IpTool
{
    static string? _path;

    static string Path => _path ??= new[] { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" }.FirstOrDefault(File.Exists)
        ?? ProcessRunner.Which("ip")
        ?? throw new ReshException(ReshError.Unavailable("iproute2's ip command is not installed.", "Install iproute2 (apt-get install iproute2)."));

    public static bool IsRoot => LibC.GetEUid() == 0;

    /// <summary>`ip -j ARGS` parsed as a JSON array (empty output is an empty array).</summary>
    public static async Task<JsonArray> ReadAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync([Path, "-j", .. args], null, ct).ConfigureAwait(false);
        if (!r.Succeeded) throw new ReshException(Translate(r, args));
        var text = r.Stdout.Trim();
        if (text.Length == 0) return [];
        try { return JsonNode.Parse(text) as JsonArray ?? []; }
        catch (JsonException e) { throw new ReshException(ReshError.Failed($"ip -j {string.Join(' ', args)} printed JSON that cannot be read ({e.Message}).", "Update iproute2.")); }
    }

    /// <summary>Runs a change (`ip addr add ...`); a refusal for lack of privilege is permission_denied.</summary>
    public static async Task ChangeAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync([Path, .. args], null, ct).ConfigureAwait(false);
        if (!r.Succeeded) throw new ReshException(Translate(r, args));
    }

    static ReshError Translate(ProcessResult r, IReadOnlyList<string> args)
    {
        var line = r.LastErrorLine.Trim();
        var details = new JsonObject { ["command"] = "ip " + string.Join(' ', args), ["stderr"] = NetTarget.Show(line), ["exit_code"] = r.ExitCode };
        if (line.Contains("Operation not permitted", StringComparison.Ordinal) || line.Contains("Permission denied", StringComparison.Ordinal))
            return PermissionDenied("change the network configuration", details);
        if (line.Contains("File exists", StringComparison.Ordinal))
            return ReshError.Conflict($"The kernel refused: {line}.", "Something with the same key exists already; look at it with net://.routes or net://.interfaces.", details);
        if (line.Contains("No such device", StringComparison.Ordinal) || line.Contains("Cannot find device", StringComparison.Ordinal))
            return ReshError.NotFound($"The kernel refused: {line}.", "List the interfaces with net://.interfaces.", details);
        if (line.Contains("Network is unreachable", StringComparison.Ordinal) || line.Contains("No route to host", StringComparison.Ordinal))
            return ReshError.NotFound($"No route: {line}.", "List the routes with net://.routes.", details);
        return ReshError.Failed($"ip failed: {(line.Length > 0 ? line : "exit " + r.ExitCode)}.", "See details.stderr.", details);
    }

    public static ReshError PermissionDenied(string what, JsonObject? details = null, bool dryRun = false) => ReshError.PermissionDenied(
        $"Only root (or a process with CAP_NET_ADMIN) may {what}" + (dryRun ? "; the real run would be refused (this process lacks CAP_NET_ADMIN)." : "."),
        dryRun ? "Run it as root (sudo resh ...)." : "Run it as root (sudo resh ...) or add --dry-run to see what would change.", details);

    public static string? Str(JsonNode? o, string key) => o?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : o?[key] is JsonValue n ? n.ToJsonString() : null;

    public static long? Long(JsonNode? o, string key) => o?[key] is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    public static IReadOnlyList<string> Strings(JsonNode? o, string key) =>
        o?[key] is JsonArray a ? a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : "").Where(s => s.Length > 0).ToList() : [];
}
