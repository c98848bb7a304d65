using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Backup;

/// <summary>Which tool drives a repository: given by backend=, else read from an existing repository's layout, else restic when installed.</summary>
public static class BackupKind
{
    public const string Restic = "restic";
    public const string Borg = "borg";

    /// <summary>The layout of a local directory: restic (config + keys/ + data/), borg (README + config with [repository]), or null.</summary>
    public static string? Detect(string dir)
    {
        try
        {
            var readme = Path.Combine(dir, "README");
            var config = Path.Combine(dir, "config");
            if (File.Exists(readme) && File.ReadAllText(readme).Contains("Borg Backup repository", StringComparison.Ordinal)) return Borg;
            if (File.Exists(config) && Directory.Exists(Path.Combine(dir, "keys")) && Directory.Exists(Path.Combine(dir, "data"))) return Restic;
            if (File.Exists(config) && File.ReadAllText(config).Contains("[repository]", StringComparison.Ordinal)) return Borg;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>The backend for a call; for a local repository that must exist, a missing one is `not_found`.</summary>
    public static string Resolve(BackupTarget target, string? asked, bool mustExist)
    {
        if (target.Local is { } dir)
        {
            var found = Directory.Exists(dir) ? Detect(dir) : null;
            if (found is not null)
            {
                if (asked is not null && asked != found)
                    throw ReshError.Conflict($"{dir} is a {found} repository, not {asked}.", $"Drop backend= (it is detected), or pass backend={found}.").ToException();
                return found;
            }
            if (mustExist)
            {
                var what = Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any() ? "is not a restic or borg repository" : "has no backup repository";
                throw ReshError.NotFound($"{dir} {what}.", $"Create one: resh 'backup://{dir}.init(password=env:RESTIC_PASSWORD)'",
                    new System.Text.Json.Nodes.JsonObject { ["repository"] = dir }).ToException();
            }
        }
        var kind = asked ?? (ProcessRunner.Which("restic") is not null || ProcessRunner.Which("borg") is null ? Restic : Borg);
        Require(kind);
        return kind;
    }

    /// <summary>The tool's full path, or `unsupported` with the package to install.</summary>
    public static string Require(string kind)
    {
        var program = kind == Borg ? "borg" : "restic";
        return ProcessRunner.Which(program) ?? throw ReshError.Unsupported($"{program} is not installed here.",
            $"Install it: apt-get install {(kind == Borg ? "borgbackup" : "restic")}").ToException();
    }
}
