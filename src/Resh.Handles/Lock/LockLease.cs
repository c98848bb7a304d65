namespace Resh.Handles.Lock;

/// <summary>
/// What a lock's lease holds: the token that proves ownership, the holder's process (and its start time, so a
/// recycled PID is not taken for the holder), the command's process for run, an optional expiry, and on a server
/// the fencing number the acquire drew.
/// </summary>
public sealed record LockLease(
    string Token,
    int Pid,
    long PidStart,
    int? ChildPid,
    long? ChildStart,
    string Host,
    DateTime Since,
    DateTime? Expires,
    string? Note,
    long? Fence = null)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public LockHolder Holder => new(Pid, ChildPid, Host, Stamp(Since), Expires is { } e ? Stamp(e) : null,
        Expires is { } left ? Math.Round(Math.Max(0, (left - DateTime.UtcNow).TotalSeconds), 3) : null, Fence, Note);

    static string Stamp(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
