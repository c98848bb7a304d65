using System.Globalization;
using Resh.Core.Errors;

namespace Resh.Handles.Cache.Redis;

/// <summary>
/// The cursor of a keys walk on Redis: a SCAN cursor (digits), or one that resumes inside a SCAN page,
/// <c>START:COUNT:END:KEY</c> (KEY the last key returned, base64url of its bytes): scan START again with the same COUNT and,
/// when the page still ends at END, return only its keys after KEY.
/// </summary>
internal sealed record ScanCursor(string Start, int? Count, string? End, byte[]? After)
{
    public static readonly ScanCursor Begin = new("0", null, null, null);

    public static string Inside(string start, int count, string end, byte[] after) =>
        string.Join(':', start, count.ToString(CultureInfo.InvariantCulture), end, Convert.ToBase64String(after).TrimEnd('=').Replace('+', '-').Replace('/', '_'));

    public static ScanCursor Parse(string text)
    {
        if (IsNumber(text)) return new(text, null, null, null);
        var parts = text.Split(':');
        if (parts.Length == 4 && IsNumber(parts[0]) && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            && count is > 0 and <= 1000 && IsNumber(parts[2]))
        {
            var b64 = parts[3].Replace('-', '+').Replace('_', '/');
            b64 += new string('=', (4 - b64.Length % 4) % 4);
            try { return new(parts[0], count, parts[2], Convert.FromBase64String(b64)); }
            catch (FormatException) { }
        }
        throw ReshError.Usage($"`{(text.Length > 60 ? text[..60] + "…" : text)}` is not a cursor of a Redis keys walk.",
            "Pass the cursor a previous keys call returned, or 0 to start.").ToException();
    }

    static bool IsNumber(string s) => s.Length is > 0 and <= 20 && s.All(char.IsAsciiDigit);
}
