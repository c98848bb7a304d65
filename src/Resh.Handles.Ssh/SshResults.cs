using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Handles.Ssh;

[Description("What a command did on the host.")]
public sealed record ExecResult(
    [property: Description("The words that ran (shell= runs as /bin/sh -c LINE).")] string[] Command,
    [property: Description("The exit status; null under --dry-run, where nothing ran.")] int? ExitCode,
    string Stdout,
    string Stderr,
    [property: Description("True when stdout went past max_output and was cut.")] bool StdoutTruncated,
    [property: Description("True when stderr went past max_output and was cut.")] bool StderrTruncated,
    [property: Description("Wall time of the command including the connection, in milliseconds.")] double DurationMs);

[Description("The settings ssh uses for a host, after ~/.ssh/config (ssh -G).")]
public sealed record ConfigGetResult(
    string Host,
    string? Hostname,
    string? User,
    int Port,
    string[] IdentityFiles,
    string? ProxyJump,
    string? ProxyCommand,
    string[] KnownHostsFiles,
    string? StrictHostKeyChecking,
    [property: Description("Every setting ssh -G printed, lower-case keyword to value (a list when repeated).")] JsonObject Settings);

public sealed record HostKeyInfo(string Type, [property: Description("SHA256 fingerprint, as ssh-keygen -l prints it.")] string Fingerprint, string Key);

[Description("The key a host presents and whether known_hosts trusts it.")]
public sealed record HostKeyGetResult(
    string Host,
    [property: Description("The name ssh looks up in known_hosts (HostKeyAlias, host, or [host]:port).")] string KnownHostsName,
    [property: Description("trusted (known_hosts holds this key), unknown (no entry for the host) or changed (entries, none of them this key).")] string Status,
    HostKeyInfo[] Keys,
    string[] KnownHostsFiles);

[Description("What trusting a host key wrote.")]
public sealed record HostKeyTrustResult(
    string Host,
    string KnownHostsName,
    [property: Description("The known_hosts file written (the first UserKnownHostsFile).")] string KnownHostsFile,
    [property: Description("Status before the call: trusted, unknown or changed.")] string Previous,
    HostKeyInfo[] Added,
    [property: Description("True when older entries for the host were removed (replace=true).")] bool Replaced);

public sealed record AuthorizedKey(string Type, string Fingerprint, string? Comment, [property: Description("Options before the key type (from=..., command=...).")] string? Options);

[Description("The keys in a remote authorized_keys file.")]
public sealed record KeysListResult(string Host, string File, bool Exists, AuthorizedKey[] Keys);

[Description("What changed in the remote authorized_keys file.")]
public sealed record KeyChangeResult(string Host, string File, AuthorizedKey[] Keys, [property: Description("Number of keys in the file afterwards.")] int Count, string? Diff);

public sealed record TestPhase(string Name, bool Ok, double DurationMs, string? Detail);

[Description("Which connection phases work for a host.")]
public sealed record TestResult(string Host, string? Hostname, int Port, string? User, [property: Description("The server's SSH banner, when it was read.")] string? Banner,
    string HostKey, TestPhase[] Phases);

public sealed record TransferFile(string Path, long Size, string Sha256, bool Changed);

[Description("What a transfer copied.")]
public sealed record TransferResult(
    string Host,
    string Source,
    string Destination,
    [property: Description("file or directory")] string Type,
    [property: Description("Files copied (or, under --dry-run, to copy).")] int Copied,
    [property: Description("Files already identical, left alone.")] int Unchanged,
    long Bytes,
    [property: Description("True when every copied file's SHA-256 was checked on both ends.")] bool Verified,
    TransferFile[] Files);

[Description("A local port forward that was open for a while.")]
public sealed record TunnelResult(string Host, string LocalAddress, int LocalPort, string Remote, string OpenedAt, double OpenMs,
    [property: Description("Why it closed: duration, timeout, interrupted or exited.")] string ClosedBy);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(ExecResult))]
[JsonSerializable(typeof(ConfigGetResult))]
[JsonSerializable(typeof(HostKeyGetResult))]
[JsonSerializable(typeof(HostKeyTrustResult))]
[JsonSerializable(typeof(KeysListResult))]
[JsonSerializable(typeof(KeyChangeResult))]
[JsonSerializable(typeof(TestResult))]
[JsonSerializable(typeof(TransferResult))]
[JsonSerializable(typeof(TunnelResult))]
internal sealed partial class SshJson : JsonSerializerContext;
