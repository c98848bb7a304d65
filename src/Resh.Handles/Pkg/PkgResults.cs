using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Pkg;

[Description("One installed package.")]
public sealed record PkgEntry(
    string Name,
    string Version,
    string? Arch,
    [property: Description("Installed size in bytes, when the manager records it.")] long? Size,
    [property: Description("installed, or dpkg's state (config-files, half-installed, unpacked...).")] string Status,
    [property: Description("True when the package is held (not upgraded).")] bool Held,
    string? Summary);

public sealed record PkgListResult(string Manager, int Count, IReadOnlyList<PkgEntry> Packages);

[Description("A version the manager can install, and where from.")]
public sealed record PkgVersion(string Version, IReadOnlyList<string> Sources);

public sealed record PkgInfo(
    string Name,
    string Manager,
    bool Installed,
    [property: Description("The installed version, or null.")] string? Version,
    [property: Description("The version install/upgrade would pick, or null when none is available.")] string? Candidate,
    bool UpgradeAvailable,
    string? Arch,
    long? Size,
    string? Status,
    bool Held,
    string? Summary,
    string? Description,
    string? Section,
    string? Maintainer,
    string? Homepage,
    IReadOnlyList<string> Depends,
    IReadOnlyList<PkgVersion> Versions);

public sealed record PkgSearchHit(string Name, string? Version, string? Summary, bool Installed);

public sealed record PkgSearchResult(string Manager, string Query, int Count, IReadOnlyList<PkgSearchHit> Packages);

[Description("One package a transaction installs, upgrades, downgrades or removes.")]
public sealed record PkgAction(
    [property: Description("install, upgrade, downgrade, reinstall, remove or purge.")] string Action,
    string Name,
    string? Arch,
    [property: Description("Version before (null for a new install).")] string? From,
    [property: Description("Version after (null for a removal).")] string? To);

public sealed record PkgChangeResult(
    string Manager,
    [property: Description("The packages asked for.")] IReadOnlyList<string> Requested,
    [property: Description("What changed (or, under --dry-run, what the manager's simulation says would), with exact versions.")] IReadOnlyList<PkgAction> Actions,
    IReadOnlyList<PkgEntry> Installed,
    IReadOnlyList<PkgAction> Upgraded,
    IReadOnlyList<PkgEntry> Removed,
    [property: Description("The commands run (or that would run), as argv.")] IReadOnlyList<IReadOnlyList<string>> Commands);

public sealed record PkgUpdateResult(string Manager, [property: Description("Index files that changed.")] int IndexesChanged, IReadOnlyList<IReadOnlyList<string>> Commands, string? Output);

public sealed record PkgHoldResult(string Manager, IReadOnlyList<string> Packages, [property: Description("held or unheld.")] string State, IReadOnlyList<string> Changed, IReadOnlyList<IReadOnlyList<string>> Commands);

public sealed record PkgFilesResult(string Name, int Count, IReadOnlyList<string> Files);

public sealed record PkgOwnerResult(string Path, bool Found, [property: Description("Packages that own the path (several for a shared directory).")] IReadOnlyList<string> Packages);

[Description("A package file that differs from what the package installed.")]
public sealed record PkgVerifyIssue(
    string Package,
    string Path,
    [property: Description("What differs: missing, checksum, size, mode, owner, group, mtime, link.")] IReadOnlyList<string> Problems,
    [property: Description("A configuration file (changes there are often intended).")] bool Config);

public sealed record PkgVerifyResult(string Manager, [property: Description("True when nothing differs.")] bool Ok, int Count, IReadOnlyList<PkgVerifyIssue> Issues);

[Description("One package source.")]
public sealed record PkgRepo(
    [property: Description("The file's name without extension (what repo.remove takes).")] string Name,
    string File,
    [property: Description("deb822 (.sources) or one-line (.list).")] string Format,
    bool Enabled,
    IReadOnlyList<string> Types,
    IReadOnlyList<string> Uris,
    IReadOnlyList<string> Suites,
    IReadOnlyList<string> Components,
    [property: Description("The keyring the source must be signed by.")] string? SignedBy);

public sealed record PkgRepoListResult(string Manager, int Count, IReadOnlyList<PkgRepo> Repos);

public sealed record PkgRepoChangeResult(string Name, string File, string? Keyring, PkgRepo? Repo, [property: Description("Unified diff of the sources file.")] string? Diff);

[Description("One package-manager transaction from its log.")]
public sealed record PkgHistoryEntry(
    string Start,
    string? End,
    string? Commandline,
    string? RequestedBy,
    IReadOnlyList<PkgAction> Actions,
    string? Error);

public sealed record PkgHistoryResult(string Manager, int Count, IReadOnlyList<PkgHistoryEntry> Transactions);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PkgListResult))]
[JsonSerializable(typeof(PkgInfo))]
[JsonSerializable(typeof(PkgSearchResult))]
[JsonSerializable(typeof(PkgChangeResult))]
[JsonSerializable(typeof(PkgUpdateResult))]
[JsonSerializable(typeof(PkgHoldResult))]
[JsonSerializable(typeof(PkgFilesResult))]
[JsonSerializable(typeof(PkgOwnerResult))]
[JsonSerializable(typeof(PkgVerifyResult))]
[JsonSerializable(typeof(PkgRepoListResult))]
[JsonSerializable(typeof(PkgRepoChangeResult))]
[JsonSerializable(typeof(PkgHistoryResult))]
internal sealed partial class PkgJson : JsonSerializerContext;
