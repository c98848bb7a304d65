using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Secret;

[Description("One secret, never its value.")]
public sealed record SecretInfo(
    string Name,
    [property: Description("The current version (null for backends without versions).")] int? Version,
    [property: Description("How many versions are kept.")] int Versions,
    [property: Description("RFC 3339 UTC, when the backend knows it.")] string? Created,
    string? Updated,
    IReadOnlyDictionary<string, string> Tags);

public sealed record SecretGetResult(
    string Name,
    string Backend,
    int? Version,
    [property: Description("\"***\" unless reveal=true.")] string Value,
    bool Revealed,
    [property: Description("text, or base64 when the value is not UTF-8 (shown only with reveal=true).")] string Encoding,
    [property: Description("Length of the value in bytes.")] int Length,
    string? Created,
    string? Updated,
    IReadOnlyDictionary<string, string> Tags);

public sealed record SecretExistsResult(string Name, string Backend, bool Exists, int? Version);

public sealed record SecretListResult(string Backend, int Count, IReadOnlyList<SecretInfo> Secrets);

public sealed record SecretWriteResult(
    string Name,
    string Backend,
    [property: Description("The current version after the call.")] int Version,
    [property: Description("The version that was current before (null for a new secret).")] int? PreviousVersion,
    [property: Description("True when the secret did not exist before.")] bool Created,
    [property: Description("For generate and rotate: how the value was made (never the value).")] string? Generated,
    [property: Description("restore: the version whose value became current.")] int? RestoredFrom,
    IReadOnlyDictionary<string, string> Tags);

public sealed record SecretDeleteResult(string Name, string Backend, bool Existed, int VersionsDeleted);

public sealed record SecretVersionInfo(int Version, string? Created, bool Current);

public sealed record SecretVersionsResult(string Name, string Backend, int? Current, IReadOnlyList<SecretVersionInfo> Versions);

public sealed record SecretExecResult(
    [property: Description("The program and arguments that ran.")] IReadOnlyList<string> Command,
    [property: Description("Variables set from secrets (names only).")] IReadOnlyList<string> Injected,
    [property: Description("Null under --dry-run.")] int? ExitCode,
    [property: Description("The end of standard output (max_output), secret values masked as ***; empty when the output was streamed (raw, table, ndjson).")] string Stdout,
    [property: Description("The end of standard error, as stdout.")] string Stderr,
    [property: Description("stdout above holds only the end of the output.")] bool StdoutTruncated,
    bool StderrTruncated,
    double DurationMs,
    [property: Description("The output went out as it came (raw and table: resh's stdout/stderr; ndjson: stdout/stderr events), not into this result.")] bool Streamed);

public sealed record SecretExportResult(string Path, string Backend, int Count, int Versions, IReadOnlyList<string> Names);

public sealed record SecretImportResult(
    string Path,
    int Count,
    [property: Description("Secrets added or given a new version.")] IReadOnlyList<string> Imported,
    [property: Description("Secrets whose current value already matched.")] IReadOnlyList<string> Unchanged,
    [property: Description("Secrets that differ here and were left alone (overwrite=false): nothing is imported then.")] IReadOnlyList<string> Conflicts);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SecretGetResult))]
[JsonSerializable(typeof(SecretExistsResult))]
[JsonSerializable(typeof(SecretListResult))]
[JsonSerializable(typeof(SecretWriteResult))]
[JsonSerializable(typeof(SecretDeleteResult))]
[JsonSerializable(typeof(SecretVersionsResult))]
[JsonSerializable(typeof(SecretExecResult))]
[JsonSerializable(typeof(SecretExportResult))]
[JsonSerializable(typeof(SecretImportResult))]
internal sealed partial class SecretJson : JsonSerializerContext;
