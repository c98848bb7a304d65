using System.Text;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Resh.Core.Errors;

namespace Resh.Handles.Cache;

/// <summary>
/// How values cross the envelope (one rule for every verb): bytes that are valid UTF-8 are shown as text with
/// encoding <c>utf8</c>; any other bytes as base64 with encoding <c>base64</c>. set and mset take text by default
/// and decode base64 only when told (<c>encoding=base64</c>), so a text value is never guessed to be base64.
/// </summary>
internal static class CacheValue
{
    public const string Utf8Name = "utf8";
    public const string Base64Name = "base64";

    public static bool IsText(ReadOnlySpan<byte> bytes) => Utf8.IsValid(bytes);

    public static (string Text, string Encoding) Encode(byte[] bytes) =>
        IsText(bytes) ? (Encoding.UTF8.GetString(bytes), Utf8Name) : (Convert.ToBase64String(bytes), Base64Name);

    /// <summary>The bytes of a value as given: UTF-8 of the text, or the decoded base64.</summary>
    public static byte[] Decode(string value, string encoding, string what)
    {
        if (encoding != Base64Name) return Encoding.UTF8.GetBytes(value);
        try { return Convert.FromBase64String(value.Trim()); }
        catch (FormatException)
        {
            throw ReshError.Usage($"{what} is not valid base64 (encoding=base64).", "Give base64 text (A-Z a-z 0-9 + / and = padding), or drop encoding=base64 to store the text as it is.").ToException();
        }
    }

    /// <summary>Builds a JSON string of each byte string under one encoding: base64 for all when any is not UTF-8.</summary>
    public static string EncodingOf(IEnumerable<byte[]> values) => values.All(v => IsText(v)) ? Utf8Name : Base64Name;

    public static JsonNode Node(byte[] bytes, string encoding) =>
        JsonValue.Create(encoding == Base64Name ? Convert.ToBase64String(bytes) : Encoding.UTF8.GetString(bytes));

    /// <summary>A key for a message: its text, or base64 of its bytes when they are not UTF-8.</summary>
    public static string Show(byte[] key) => Encode(key).Text;
}
