using System.Text.Json.Nodes;

namespace Resh.Core.Errors;

/// <summary>
/// The one error shape of every envelope: a stable code, one sentence for a person,
/// structured details for a program and the next thing to try.
/// </summary>
public sealed record ReshError(ErrorCode Code, string Message, string? Hint = null, JsonObject? Details = null)
{
    /// <summary>True when retrying the same call later may succeed (network blips, locks).</summary>
    public bool Transient { get; init; }

    /// <summary>
    /// True when the failure happened before anything reached the backend (connection refused, DNS, TLS handshake,
    /// a lock that was never taken): repeating even a mutating, non-idempotent call cannot do it twice. Written as
    /// <c>details.sent = false</c>; <c>--retry</c> re-runs a mutating verb only on a transient error with this set.
    /// </summary>
    public bool NotSent { get; init; }

    /// <summary>How long the backend asked the caller to wait before trying again (HTTP Retry-After); <c>--retry</c> honours it up to --retry-max-delay.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public static ReshError Failed(string message, string? hint = null, JsonObject? details = null) => new(ErrorCode.Failed, message, hint, details);
    public static ReshError Usage(string message, string? hint = null, JsonObject? details = null) => new(ErrorCode.Usage, message, hint, details);
    public static ReshError NotFound(string message, string? hint = null, JsonObject? details = null) => new(ErrorCode.NotFound, message, hint, details);
    public static ReshError PermissionDenied(string message, string? hint = null, JsonObject? details = null) => new(ErrorCode.PermissionDenied, message, hint, details);
    public static ReshError Conflict(string message, string? hint = null, JsonObject? details = null) => new(ErrorCode.Conflict, message, hint, details);
    public static ReshError Timeout(string message, string? hint = null, JsonObject? details = null) => new(ErrorCode.Timeout, message, hint, details) { Transient = true };
    public static ReshError Unavailable(string message, string? hint = null, JsonObject? details = null) => new(ErrorCode.Unavailable, message, hint, details) { Transient = true };
    public static ReshError Unsupported(string message, string? hint = null, JsonObject? details = null) => new(ErrorCode.Unsupported, message, hint, details);
    public static ReshError Interrupted(string message, string? hint = null, JsonObject? details = null) => new(ErrorCode.Interrupted, message, hint, details);

    /// <summary>Raise this error from deep inside a handle; the executor turns it back into an envelope.</summary>
    public ReshException ToException() => new(this);
}

/// <summary>Carries a <see cref="ReshError"/> through code that cannot return it as a value.</summary>
public sealed class ReshException(ReshError error) : Exception(error.Message)
{
    public ReshError Error { get; } = error;
}
