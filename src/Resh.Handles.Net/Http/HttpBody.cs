using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Handles.Net.Http;

/// <summary>Response bodies: Content-Encoding decoding (gzip, deflate, br, zstd), bounded reads, and JSON/text/base64.</summary>
internal static class HttpBody
{
    /// <summary>Wraps the body in the decoders its Content-Encoding names (last applied first); null encoding when none.</summary>
    public static Stream Decode(Stream raw, HttpResponseMessage response, out string? encoding, out string? unknown)
    {
        encoding = null;
        unknown = null;
        var codings = response.Content.Headers.ContentEncoding.Select(c => c.Trim().ToLowerInvariant()).Where(c => c.Length > 0 && c != "identity").ToList();
        if (codings.Count == 0) return raw;
        var s = raw;
        for (int i = codings.Count - 1; i >= 0; i--)
        {
            switch (codings[i])
            {
                case "gzip" or "x-gzip": s = new GZipStream(s, CompressionMode.Decompress); break;
                case "deflate": s = new ZLibStream(s, CompressionMode.Decompress); break;
                case "br": s = new BrotliStream(s, CompressionMode.Decompress); break;
                case "zstd": s = new ZstdSharp.DecompressionStream(s); break;
                default:
                    unknown = codings[i];
                    return s;
            }
        }
        encoding = string.Join(", ", codings);
        return s;
    }

    /// <summary>Reads at most <paramref name="max"/> bytes; truncated when more were there.</summary>
    public static async Task<(byte[] Data, bool Truncated)> ReadBoundedAsync(Stream s, long max, CancellationToken ct)
    {
        var ms = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var room = max - ms.Length;
            var n = await s.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, room + 1)), ct).ConfigureAwait(false);
            if (n == 0) return (ms.ToArray(), false);
            if (n > room)
            {
                ms.Write(buffer, 0, (int)room);
                return (ms.ToArray(), true);
            }
            ms.Write(buffer, 0, n);
        }
    }

    /// <summary>json when the content type says so and it parses, text when it is UTF-8 text, base64 otherwise.</summary>
    public static (string Kind, JsonNode? Body, string? Base64) Classify(byte[] data, string? contentType, bool truncated)
    {
        if (data.Length == 0) return ("none", null, null);
        var media = contentType?.Split(';')[0].Trim().ToLowerInvariant() ?? "";
        var isJson = media == "application/json" || media.EndsWith("+json", StringComparison.Ordinal) || media == "text/json";
        if (isJson && !truncated)
        {
            try
            {
                var node = JsonNode.Parse(data, documentOptions: new JsonDocumentOptions { MaxDepth = 256 });
                return ("json", node ?? JsonValue.Create((string?)null), null);
            }
            catch (JsonException) { }
        }
        var texty = media.StartsWith("text/", StringComparison.Ordinal) || isJson || media.EndsWith("+xml", StringComparison.Ordinal)
            || media is "application/xml" or "application/javascript" or "application/x-www-form-urlencoded" or "application/yaml" or "";
        if (texty && TryUtf8(data, truncated, out var text) && !text.Contains('\0')) return ("text", JsonValue.Create(text), null);
        return ("base64", null, Convert.ToBase64String(data));
    }

    static bool TryUtf8(byte[] data, bool truncated, out string text)
    {
        var strict = new UTF8Encoding(false, true);
        var len = data.Length;
        // A cut in the middle of a multi-byte character is not an encoding error.
        if (truncated) while (len > 0 && len > data.Length - 3 && (data[len - 1] & 0xC0) == 0x80) len--;
        if (truncated && len > 0 && data[len - 1] >= 0xC0) len--;
        try
        {
            text = strict.GetString(data, 0, len);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    /// <summary>The first bytes of a body as text for an error's details (control characters kept escaped by JSON).</summary>
    public static string Excerpt(byte[] data, int max = 512)
    {
        var n = Math.Min(data.Length, max);
        return Encoding.UTF8.GetString(data, 0, n) + (data.Length > max ? "…" : "");
    }
}
