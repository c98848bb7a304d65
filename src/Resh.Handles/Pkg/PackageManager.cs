using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Pkg;

/// <summary>
/// One package manager. Queries return data; changes are planned through the manager's own simulation
/// (what --dry-run shows, with exact versions), then run, and the result is what actually changed
/// (the installed set before and after).
/// </summary>
public abstract class PackageManager
{
    public static readonly Arg<string?> ManagerArg = Arg.Enum("manager", "apt (dpkg), dnf, yum, apk, pacman, zypper, or auto (detected from the system).",
        ["auto", "apt", "dnf", "yum", "apk", "pacman", "zypper"], "auto");

    public abstract string Name { get; }
    public abstract Task<List<PkgEntry>> ListAsync(CancellationToken ct);
    public abstract Task<PkgInfo?> InfoAsync(string name, CancellationToken ct);
    public abstract Task<List<PkgSearchHit>> SearchAsync(string query, int limit, CancellationToken ct);
    public abstract Task<List<PkgAction>> PlanAsync(Transaction tx, CancellationToken ct);
    public abstract IReadOnlyList<string> Argv(Transaction tx);
    public abstract IReadOnlyList<string> UpdateArgv();
    public virtual IReadOnlyDictionary<string, string?>? Environment => null;

    public virtual Task<List<string>> FilesAsync(string name, CancellationToken ct) => throw Unsupported("files");
    public virtual Task<List<string>> OwnerAsync(string path, CancellationToken ct) => throw Unsupported("owner");
    public virtual Task<List<PkgVerifyIssue>> VerifyAsync(string? name, CancellationToken ct) => throw Unsupported("verify");
    public virtual IReadOnlyList<string> HoldArgv(IReadOnlyList<string> names, bool hold) => throw Unsupported(hold ? "hold" : "unhold");
    public virtual Task<HashSet<string>> HeldAsync(CancellationToken ct) => throw Unsupported("hold");
    public virtual Task<List<PkgHistoryEntry>> HistoryAsync(int limit, CancellationToken ct) => throw Unsupported("history");

    protected ReshException Unsupported(string what) =>
        ReshError.Unsupported($"{what} is not supported with {Name}.", "These verbs are implemented for apt; see resh help pkg.").ToException();

    /// <summary>Runs a query program; a failure is `failed` with the tool's message.</summary>
    protected async Task<ProcessResult> QueryAsync(IReadOnlyList<string> argv, CancellationToken ct, bool allowFailure = false)
    {
        var r = await ProcessRunner.RunAsync(argv, new ProcessOptions { Environment = Environment }, ct).ConfigureAwait(false);
        if (!r.Succeeded && !allowFailure) throw PkgErrors.Translate(argv, r).ToException();
        return r;
    }

    public static PackageManager Open(VerbContext ctx)
    {
        var choice = ctx.Get(ManagerArg) ?? "auto";
        if (choice == "auto")
        {
            if (ProcessRunner.Which("apt-get") is not null && ProcessRunner.Which("dpkg-query") is not null) choice = "apt";
            else if (ProcessRunner.Which("dnf") is not null) choice = "dnf";
            else if (ProcessRunner.Which("yum") is not null) choice = "yum";
            else if (ProcessRunner.Which("zypper") is not null) choice = "zypper";
            else if (ProcessRunner.Which("apk") is not null) choice = "apk";
            else if (ProcessRunner.Which("pacman") is not null) choice = "pacman";
            else throw ReshError.Unavailable("No supported package manager found (apt, dnf, yum, zypper, apk, pacman).", "Pass manager= if it is installed elsewhere.").ToException();
        }
        return choice switch
        {
            "apt" => new AptManager(),
            "dnf" => new DnfManager("dnf"),
            "yum" => new DnfManager("yum"),
            "zypper" => new ZypperManager(),
            "apk" => new ApkManager(),
            _ => new PacmanManager(),
        };
    }
}

/// <summary>What a change asks for: install (with pins or files), remove (purge), or upgrade (named or all).</summary>
public sealed record Transaction(string Kind, IReadOnlyList<PackageSpec> Packages, bool Purge = false, bool AutoRemove = false, bool Full = false);

/// <summary>Maps a package tool's failure to resh's error codes, naming the lock holder when a lock is held.</summary>
public static class PkgErrors
{
    public static ReshError Translate(IReadOnlyList<string> argv, ProcessResult r)
    {
        var text = r.Stderr + "\n" + r.Stdout;
        var lower = text.ToLowerInvariant();
        var details = new JsonObject
        {
            ["command"] = new JsonArray(argv.Select(a => (JsonNode?)a).ToArray()),
            ["exit_code"] = r.ExitCode,
            ["stderr"] = r.Stderr.Length > 3000 ? r.Stderr[^3000..] : r.Stderr,
        };
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => l.StartsWith("E:", StringComparison.Ordinal) || l.StartsWith("error", StringComparison.OrdinalIgnoreCase) || l.StartsWith("ERROR", StringComparison.Ordinal))
            ?? r.LastErrorLine;
        var msg = $"{Path.GetFileName(argv[0])} failed: {line}";
        // apt: "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (apt-get)"
        var held = lower.IndexOf("it is held by process ", StringComparison.Ordinal);
        if (lower.Contains("could not get lock") || lower.Contains("unable to lock") || lower.Contains("waiting for cache lock") || lower.Contains("another app is currently holding")
            || lower.Contains("unable to lock database") || lower.Contains("system management is locked"))
        {
            if (held >= 0)
            {
                var rest = text[(held + "it is held by process ".Length)..].Split('\n')[0];
                var pid = new string(rest.TakeWhile(char.IsAsciiDigit).ToArray());
                details["holder_pid"] = int.TryParse(pid, out var p) ? p : null;
                var open = rest.IndexOf('('); var close = rest.IndexOf(')');
                if (open >= 0 && close > open) details["holder"] = rest[(open + 1)..close];
            }
            return ReshError.Conflict(msg, "Another package operation holds the lock; wait for it or retry with a longer --timeout.", details) with { Transient = true };
        }
        if (lower.Contains("unable to locate package") || lower.Contains("no package ") || lower.Contains("not found") || lower.Contains("no match for argument")
            || lower.Contains("has no installation candidate") || lower.Contains("target not found") || lower.Contains("no such package") || lower.Contains("unable to select packages")
            || lower.Contains("version '") && lower.Contains("was not found"))
            return ReshError.NotFound(msg, "Check the name (resh pkg://.search(query=...)) and refresh the indexes (resh pkg://.update).", details);
        if (lower.Contains("are you root") || lower.Contains("permission denied") || lower.Contains("must be run as root") || lower.Contains("you need to be root")
            || lower.Contains("this command has to be run with superuser"))
            return ReshError.PermissionDenied(msg, "Package changes need root.", details);
        if (lower.Contains("held packages") || lower.Contains("unmet dependencies") || lower.Contains("conflicts with") || lower.Contains("broken packages"))
            return ReshError.Conflict(msg, null, details);
        return ReshError.Failed(msg, null, details);
    }
}
