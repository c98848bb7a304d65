namespace Resh.Handles.Cache;

/// <summary>
/// A server's reply resh refused to read: larger than max_value allows (<c>too_large</c>, refused from the declared
/// length before anything was allocated), not the protocol at all (<c>protocol</c>), or a refused login (<c>auth</c>).
/// The connection it came on is
/// dropped: the rest of that reply is never read.
/// </summary>
internal sealed class CacheReplyException(string reason, string message, long? declared = null, long? max = null) : IOException(message)
{
    public const string TooLarge = "too_large";
    public const string Protocol = "protocol";
    /// <summary>The server refused the login (AUTH or HELLO ... AUTH answered with an error): the client would go on as the default user.</summary>
    public const string Auth = "auth";

    public string Reason { get; } = reason;
    public long? Declared { get; } = declared;
    public long? Max { get; } = max;

    public static CacheReplyException Large(string what, long declared, long max) =>
        new(TooLarge, $"{what} of {declared} bytes is larger than max_value ({max} bytes); resh did not read it.", declared, max);
}
