using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Lock;

[Description("Who holds a lock.")]
public sealed record LockHolder(
    [property: Description("The process the lease belongs to: released the moment it ends.")] int Pid,
    [property: Description("For run: the command's process, which holds the lock as long as it lives too.")] int? ChildPid,
    [property: Description("Host name of the holder.")] string Host,
    [property: Description("When the lock was taken (RFC 3339 UTC).")] string Since,
    [property: Description("When the lease ends by itself (RFC 3339 UTC); null: only when released or when the holder ends.")] string? Expires,
    [property: Description("Seconds until the lease ends by itself (null: no expiry).")] double? TtlLeft,
    [property: Description("Redis: the fencing number this lease drew; every acquire of the lock draws a larger one.")] long? Fence,
    [property: Description("What the holder said it is doing (the command of run, or note= of acquire).")] string? Note);

[Description("The state of one named lock.")]
public sealed record LockStatusResult(
    string Name,
    [property: Description("Where the lock lives: local (this machine's state dir) or redis.")] string Backend,
    [property: Description("The Redis server (host:port); null for local.")] string? Server,
    [property: Description("True when a live holder has it.")] bool Held,
    [property: Description("The holder, when held.")] LockHolder? Holder);

public sealed record LockListResult(
    string Backend,
    string? Server,
    [property: Description("Local: every lock used on this machine by this user, held or not; Redis: every held lock. By name.")] IReadOnlyList<LockStatusResult> Locks);

public sealed record LockAcquireResult(
    string Name,
    [property: Description("Give it to release (token=) to prove you hold the lock.")] string Token,
    string Backend,
    [property: Description("Redis: the fencing number of this lease (larger than every earlier holder's); pass it to what the lock guards so a stale holder is refused.")] long? Fence,
    LockHolder Holder,
    [property: Description("How long the call waited for another holder, in milliseconds.")] double WaitedMs);

public sealed record LockReleaseResult(
    string Name,
    [property: Description("True when a live lease was removed.")] bool Released,
    [property: Description("The holder that was released, when there was one.")] LockHolder? Holder);

public sealed record LockRunResult(
    string Name,
    IReadOnlyList<string> Command,
    string Backend,
    [property: Description("Redis: the fencing number of the lease the command ran under.")] long? Fence,
    [property: Description("The command's exit status (128+N for signal N); null under --dry-run, where nothing ran.")] int? ExitCode,
    [property: Description("The end of its standard output (max_output); empty when the output was streamed (raw, table, ndjson).")] string Stdout,
    [property: Description("The end of its standard error (max_output); empty when streamed.")] string Stderr,
    bool StdoutTruncated,
    bool StderrTruncated,
    [property: Description("How long the call waited for the lock, in milliseconds.")] double WaitedMs,
    [property: Description("How long the command ran, in milliseconds.")] double RanMs,
    [property: Description("The output went out as it came (raw and table: resh's stdout/stderr; ndjson: stdout/stderr events), not into this result.")] bool Streamed = false);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LockStatusResult))]
[JsonSerializable(typeof(LockListResult))]
[JsonSerializable(typeof(LockAcquireResult))]
[JsonSerializable(typeof(LockReleaseResult))]
[JsonSerializable(typeof(LockRunResult))]
[JsonSerializable(typeof(LockLease))]
internal sealed partial class LockJson : JsonSerializerContext;
