namespace Resh.Core.Errors;

/// <summary>The closed set of error codes of SPEC §3. Each maps to one exit status.</summary>
public enum ErrorCode
{
    Failed,
    Usage,
    NotFound,
    PermissionDenied,
    Conflict,
    Timeout,
    Unavailable,
    Unsupported,
    Partial,
    Interrupted,
}

public static class ErrorCodes
{
    public static string ToWire(this ErrorCode code) => code switch
    {
        ErrorCode.Failed => "failed",
        ErrorCode.Usage => "usage",
        ErrorCode.NotFound => "not_found",
        ErrorCode.PermissionDenied => "permission_denied",
        ErrorCode.Conflict => "conflict",
        ErrorCode.Timeout => "timeout",
        ErrorCode.Unavailable => "unavailable",
        ErrorCode.Unsupported => "unsupported",
        ErrorCode.Partial => "partial",
        ErrorCode.Interrupted => "interrupted",
        _ => "failed",
    };

    public static int ExitStatus(this ErrorCode code) => code switch
    {
        ErrorCode.Failed => 1,
        ErrorCode.Usage => 2,
        ErrorCode.NotFound => 3,
        ErrorCode.PermissionDenied => 4,
        ErrorCode.Conflict => 5,
        ErrorCode.Timeout => 6,
        ErrorCode.Unavailable => 7,
        ErrorCode.Unsupported => 8,
        ErrorCode.Partial => 9,
        ErrorCode.Interrupted => 130,
        _ => 1,
    };

    static readonly ErrorCode[] Codes =
    [
        ErrorCode.Failed, ErrorCode.Usage, ErrorCode.NotFound, ErrorCode.PermissionDenied, ErrorCode.Conflict,
        ErrorCode.Timeout, ErrorCode.Unavailable, ErrorCode.Unsupported, ErrorCode.Partial, ErrorCode.Interrupted,
    ];

    public static bool TryParse(string wire, out ErrorCode code)
    {
        foreach (var c in Codes)
        {
            if (c.ToWire() == wire) { code = c; return true; }
        }
        code = ErrorCode.Failed;
        return false;
    }

    /// <summary>Every wire code, in table order (used by schemas and docs). A literal list: no enum reflection at start-up.</summary>
    public static IReadOnlyList<string> All => Codes.Select(c => c.ToWire()).ToArray();
}
