namespace Resh.Handles.Cache;

/// <summary>
/// A server's reply resh refused to read: larger than max_value allows (<c>too_large</c>, refused from the declared
/// length before anything was allocated), or not the protocol at all (<c>protocol</c>). The connection it came on is
/// dropped: the rest of that reply is never read.
/// </summary>
internal sealed class CacheReplyException(string reason, string message, long? declared = null, long? max = null) : IOException(message)
{
    public const string TooLarge = "too_large";
    public const string Protocol = "protocol";

    public string Reason { get; } = reason;
    public long? Declared { get; } = declared;
    public long? Max { get; } = max;

    public static CacheReplyException Large(string what, long declared, long max) =>
        new(TooLarge, $"{what} of {declared} bytes is larger than max_value ({max} bytes); resh did not read it.", declared, max);
}
