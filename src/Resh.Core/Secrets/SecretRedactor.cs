using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Resh.Core.Secrets;

/// <summary>
/// The process-wide list of secret values resolved so far, and the scrubbing every output path applies:
/// envelopes (JSON, YAML, table, raw), events, error lines on stderr and the --verbose log. Each
/// <see cref="SecretValue"/> registers itself when created, so a secret a verb resolved is masked as
/// <c>***</c> wherever it would otherwise leak (an error message quoting a backend, a diff, an echo).
/// </summary>
/// <remarks>
/// Values shorter than <see cref="MinLength"/> characters are not searched for: masking every "ab" in an
/// envelope would destroy it and protect little. A multi-line value is also masked line by line.
/// With nothing registered (almost every call) every scrub is a single field read.
/// </remarks>
public static class SecretRedactor
{
    public const string Mask = "***";
    public const int MinLength = 4;

    sealed record Entry(string Whole, string[] Needles);

    static readonly object Gate = new();
    static volatile Entry[] _entries = [];
    // Needles of every entry, longest first, so a secret containing another is masked whole.
    static volatile string[] _needles = [];

    /// <summary>True once any secret was registered in this process.</summary>
    public static bool Active => _needles.Length > 0;

    public static void Register(SecretValue value)
    {
        if (value.Length < MinLength || !value.IsText) return;
        Register(value.Reveal());
    }

    /// <summary>Registers a plain string as secret (for values a backend hands back, such as a generated token).</summary>
    public static void Register(string value)
    {
        if (value.Length < MinLength) return;
        var needles = NeedlesOf(value);
        lock (Gate)
        {
            foreach (var e in _entries) if (e.Whole == value) return;
            var entries = new Entry[_entries.Length + 1];
            _entries.CopyTo(entries, 0);
            entries[^1] = new Entry(value, needles.ToArray());
            _entries = entries;
            // No LINQ ordering here: it runs on the path of every call that resolves a secret (docs/architecture.md, start-up).
            var all = new List<string>();
            foreach (var e in entries)
                foreach (var n in e.Needles)
                    if (!all.Contains(n)) all.Add(n);
            var sorted = all.ToArray();
            Array.Sort(sorted, static (a, b) => b.Length.CompareTo(a.Length));
            _needles = sorted;
        }
    }

    /// <summary>What is searched for to mask <paramref name="value"/>: itself, each line of a multi-line value, its trimmed form (each of 4+ characters).</summary>
    public static List<string> NeedlesOf(string value)
    {
        var needles = new List<string> { value };
        if (value.AsSpan().IndexOfAny('\n', '\r') >= 0)
        {
            foreach (var line in value.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (line.Length >= MinLength && !needles.Contains(line)) needles.Add(line);
        }
        else if (value.Trim() is { Length: >= MinLength } trimmed && trimmed.Length != value.Length) needles.Add(trimmed);
        return needles;
    }

    /// <summary>Masks every registered secret in <paramref name="text"/>, except values in <paramref name="revealed"/>.</summary>
    /// <remarks>Also masks the credential of an Authorization header or a Bearer token written into the text (<see cref="MaskAuthorization"/>).</remarks>
    public static string Scrub(string text, IReadOnlyCollection<string>? revealed = null)
    {
        text = MaskAuthorization(text);
        var needles = Needles(revealed);
        if (needles.Length == 0 || text.Length < MinLength) return text;
        foreach (var n in needles)
            if (text.Contains(n, StringComparison.Ordinal)) text = text.Replace(n, Mask, StringComparison.Ordinal);
        return text;
    }

    /// <summary>
    /// Masks credentials written as text, registered or not: the value of an Authorization header
    /// (<c>Authorization: Bearer xyz</c>, <c>authorization=Basic dXNl…</c>, <c>Authorization: xyz</c>) and the token after the
    /// word Bearer (<c>Bearer eyJhb…</c>). A placeholder stays (<c>Bearer TOKEN</c>, <c>$TOKEN</c>, <c>&lt;token&gt;</c>), and so
    /// does a plain word after Bearer (<c>Bearer tokens</c>, <c>Bearer realm="resh"</c>): a token has a digit, a symbol or an
    /// inner capital. Returns the same instance when nothing was masked.
    /// </summary>
    public static string MaskAuthorization(string text)
    {
        if (text.Length < 10 || (text.IndexOf("bearer", StringComparison.OrdinalIgnoreCase) < 0 && text.IndexOf("authorization", StringComparison.OrdinalIgnoreCase) < 0))
            return text;
        StringBuilder? sb = null;
        int copied = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (i > 0 && char.IsAsciiLetterOrDigit(text[i - 1])) continue;
            int start = -1, end = -1;
            if (WordAt(text, i, "authorization"))
            {
                var j = SkipQuote(text, i + "authorization".Length); // "Authorization": "Bearer …" (JSON, YAML, Python dicts)
                while (j < text.Length && text[j] is ' ' or '\t') j++;
                if (j >= text.Length || text[j] is not (':' or '=')) continue;
                j++;
                while (j < text.Length && text[j] is ' ' or '\t') j++;
                j = SkipQuote(text, j);
                // An auth scheme word (Bearer, Basic, token) and then its credential; or the credential alone.
                var w = j;
                while (w < text.Length && (char.IsAsciiLetterOrDigit(text[w]) || text[w] == '-')) w++;
                var afterScheme = w;
                while (afterScheme < text.Length && text[afterScheme] is ' ' or '\t') afterScheme++;
                if (w > j && afterScheme > w && afterScheme < text.Length && IsTokenChar(text[afterScheme])) j = afterScheme;
                (start, end) = (j, TokenEnd(text, j));
                if (!LooksCredential(text.AsSpan(start, end - start), strict: false)) start = -1;
            }
            else if (WordAt(text, i, "bearer"))
            {
                var j = i + "bearer".Length;
                if (j >= text.Length || !char.IsWhiteSpace(text[j])) continue;
                while (j < text.Length && char.IsWhiteSpace(text[j])) j++;
                (start, end) = (j, TokenEnd(text, j));
                if (end < text.Length && text[end] == '"' && end > start && text[end - 1] == '=') start = -1; // Bearer realm="resh": an auth-param, no token
                else if (!LooksCredential(text.AsSpan(start, end - start), strict: true)) start = -1;
            }
            if (start < 0) continue;
            sb ??= new StringBuilder(text.Length);
            sb.Append(text, copied, start - copied).Append(Mask);
            copied = end;
            i = end - 1;
        }
        if (sb is null) return text;
        sb.Append(text, copied, text.Length - copied);
        return sb.ToString();
    }

    /// <summary>Past one closing or opening quote at <paramref name="j"/> (", ', or a JSON-escaped \"), else <paramref name="j"/>.</summary>
    static int SkipQuote(string text, int j)
    {
        if (j < text.Length && text[j] is '"' or '\'') return j + 1;
        if (j + 1 < text.Length && text[j] == '\\' && text[j + 1] == '"') return j + 2;
        return j;
    }

    static bool WordAt(string text, int i, string word) =>
        string.Compare(text, i, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0 &&
        (i + word.Length >= text.Length || !char.IsAsciiLetterOrDigit(text[i + word.Length]));

    /// <summary>RFC 7235 token68 characters (and : for user:pass written out).</summary>
    static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/' or '=' or ':';

    static int TokenEnd(string text, int start)
    {
        var end = start;
        while (end < text.Length && IsTokenChar(text[end])) end++;
        while (end > start && text[end - 1] is '.' or ':' or '-') end--; // sentence punctuation after the token
        return end;
    }

    static readonly string[] Schemes = ["Basic", "Bearer", "Digest", "Negotiate", "NTLM", "Token", "HOBA", "Mutual"];

    static bool LooksCredential(ReadOnlySpan<char> token, bool strict)
    {
        if (token.Length < MinLength) return false;
        var placeholder = true;
        foreach (var c in token) if (!(char.IsAsciiLetterUpper(c) || c == '_')) { placeholder = false; break; }
        if (placeholder) return false;
        if (Schemes.Contains(token.ToString(), StringComparer.OrdinalIgnoreCase)) return false; // `Authorization: Basic` names the scheme only
        if (!strict) return true;
        for (int k = 0; k < token.Length; k++)
            if (!char.IsAsciiLetterLower(token[k]) && !(k == 0 && char.IsAsciiLetterUpper(token[k]))) return true;
        return false;
    }

    /// <summary>The shortest fragment of a secret <see cref="ScrubEdges"/> masks at a cut.</summary>
    public const int MinFragment = 4;

    /// <summary>
    /// Masks what a cut left of a registered secret at the edges of a text taken out of a longer one (the tail of a
    /// stream): a suffix of a secret at the start (<paramref name="start"/>), a prefix at the end (<paramref name="end"/>),
    /// each of at least <see cref="MinFragment"/> characters. Whole values are <see cref="Scrub"/>'s; run it first.
    /// </summary>
    public static string ScrubEdges(string text, bool start, bool end)
    {
        var needles = _needles;
        if (needles.Length == 0) return text;
        foreach (var n in needles)
        {
            if (start)
            {
                // A cut inside a multi-byte character decodes as U+FFFD: the fragment starts after it.
                var skip = 0;
                while (skip < text.Length && text[skip] == '\uFFFD') skip++;
                for (int k = Math.Min(n.Length - 1, text.Length - skip); k >= MinFragment; k--)
                    if (text.AsSpan(skip).StartsWith(n.AsSpan(n.Length - k), StringComparison.Ordinal)) { text = Mask + text[(skip + k)..]; break; }
            }
            if (end)
            {
                for (int k = Math.Min(n.Length - 1, text.Length); k >= MinFragment; k--)
                    if (text.AsSpan().EndsWith(n.AsSpan(0, k), StringComparison.Ordinal)) { text = text[..^k] + Mask; break; }
            }
        }
        return text;
    }

    /// <summary>True when <paramref name="text"/> holds a registered secret.</summary>
    public static bool Contains(string text)
    {
        foreach (var n in _needles) if (text.Contains(n, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>
    /// Scrubs one JSON document (an envelope or an event): every string and property name is masked (registered
    /// secrets, and in string values an Authorization or Bearer credential, <see cref="MaskAuthorization"/>), and a
    /// number whose digits are a secret becomes the string <c>"***"</c>. Returns null when nothing matched,
    /// which is checked on the encoded bytes first so clean output is never re-encoded.
    /// </summary>
    public static byte[]? ScrubJson(ReadOnlySpan<byte> json, JsonWriterOptions options, IReadOnlyCollection<string>? revealed = null)
    {
        var needles = Needles(revealed);
        var auth = MayHoldAuthorization(json);
        if (!auth && (needles.Length == 0 || !MayContain(json, needles, options))) return null;
        var output = new ArrayBufferWriter<byte>(json.Length + 64);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        using (var w = new Utf8JsonWriter(output, options))
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: w.WriteStartObject(); break;
                    case JsonTokenType.EndObject: w.WriteEndObject(); break;
                    case JsonTokenType.StartArray: w.WriteStartArray(); break;
                    case JsonTokenType.EndArray: w.WriteEndArray(); break;
                    case JsonTokenType.PropertyName: w.WritePropertyName(ScrubWith(reader.GetString()!, needles)); break;
                    case JsonTokenType.String:
                        var value = reader.GetString()!;
                        // Registered values first (a whole `Bearer tok…` header value is one secret), then credentials written as text.
                        var scrubbed = ScrubWith(value, needles);
                        w.WriteStringValue(auth ? MaskAuthorization(scrubbed) : scrubbed);
                        break;
                    case JsonTokenType.Number:
                        var digits = Encoding.UTF8.GetString(reader.ValueSpan);
                        if (ScrubWith(digits, needles) != digits) w.WriteStringValue(Mask);
                        else w.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;
                    case JsonTokenType.True: w.WriteBooleanValue(true); break;
                    case JsonTokenType.False: w.WriteBooleanValue(false); break;
                    case JsonTokenType.Null: w.WriteNullValue(); break;
                }
            }
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Whether UTF-8 text (JSON, a table, YAML) may carry an Authorization header or a Bearer token
    /// (<see cref="MaskAuthorization"/>): the word `bearer` or `authorization` in any case. A vectorized scan for the
    /// first letter, so clean output costs a pass over its bytes.
    /// </summary>
    public static bool MayHoldAuthorization(ReadOnlySpan<byte> utf8) => HasWord(utf8, "bearer"u8) || HasWord(utf8, "authorization"u8);

    /// <summary>
    /// The one gate of every output path: true when <paramref name="utf8"/> must go through the scrub, because a secret
    /// is registered in this process or the bytes may hold a credential written as text (an Authorization header in a
    /// file that was read). False for nearly every output, which then goes out as it was made.
    /// </summary>
    public static bool MayNeedScrub(ReadOnlySpan<byte> utf8) => Active || MayHoldAuthorization(utf8);

    static bool HasWord(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lower)
    {
        var first = lower[0];
        var upper = (byte)(first - 32);
        while (text.Length >= lower.Length)
        {
            var i = text.IndexOfAny(first, upper);
            if (i < 0 || text.Length - i < lower.Length) return false;
            if (System.Text.Ascii.EqualsIgnoreCase(text.Slice(i, lower.Length), lower)) return true;
            text = text[(i + 1)..];
        }
        return false;
    }

    static string ScrubWith(string text, string[] needles)
    {
        foreach (var n in needles)
            if (text.Contains(n, StringComparison.Ordinal)) text = text.Replace(n, Mask, StringComparison.Ordinal);
        return text;
    }

    static bool MayContain(ReadOnlySpan<byte> json, string[] needles, JsonWriterOptions options)
    {
        foreach (var n in needles)
        {
            if (json.IndexOf(Encoding.UTF8.GetBytes(n)) >= 0) return true;
            var escaped = JsonEncodedText.Encode(n, options.Encoder ?? System.Text.Encodings.Web.JavaScriptEncoder.Default).EncodedUtf8Bytes;
            if (json.IndexOf(escaped) >= 0) return true;
            // Any other escaping (a remote host's envelope, \u escapes) is caught by looking at a fragment.
            if (n.Any(c => c > 0x7E || c < 0x20 || c is '"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`') &&
                json.IndexOf("\\u"u8) >= 0) return true;
        }
        return false;
    }

    static string[] Needles(IReadOnlyCollection<string>? revealed)
    {
        var needles = _needles;
        if (revealed is null || revealed.Count == 0 || needles.Length == 0) return needles;
        var skip = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in _entries)
            if (revealed.Contains(e.Whole)) foreach (var n in e.Needles) skip.Add(n);
        // A needle shared with a secret that was not revealed stays masked.
        foreach (var e in _entries)
            if (!revealed.Contains(e.Whole)) foreach (var n in e.Needles) skip.Remove(n);
        return skip.Count == 0 ? needles : needles.Where(n => !skip.Contains(n)).ToArray();
    }

    /// <summary>Forgets every registered value (tests only: a real process keeps them until it exits).</summary>
    internal static void Reset()
    {
        lock (Gate)
        {
            _entries = [];
            _needles = [];
        }
    }
}
