using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Resh.Core.Output;

/// <summary>Writes a JSON tree as YAML through YamlDotNet's event emitter (no reflection, AOT-safe).</summary>
public static class YamlRenderer
{
    public static string Render(JsonNode? root)
    {
        var json = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(json, EnvelopeJson.WriterOptions(false)))
        {
            if (root is null) w.WriteNullValue(); else root.WriteTo(w);
        }
        var events = new Events(null);
        var tokens = new JsonTokenStream(events);
        tokens.Write(json.WrittenSpan);
        tokens.Complete();
        return events.Text;
    }

    /// <summary>A sink for JSON that prints its YAML to <paramref name="stdout"/> as the JSON arrives (a listing of any size in the memory of a chunk); call <see cref="JsonTokenStream.Complete"/> at the end.</summary>
    internal static JsonTokenStream Streaming(Stream stdout, int scanEvery = 1 << 16) => new(new Events(stdout), scanEvery);

    /// <summary>
    /// Turns JSON tokens into YAML events one by one. An array's style needs one token of look-ahead
    /// (an empty one is written <c>[]</c>); the emitter keeps the few events it needs itself.
    /// </summary>
    sealed class Events : IJsonTokenVisitor
    {
        readonly Stream? _stdout;
        readonly StringWriter _text = new(CultureInfo.InvariantCulture);
        readonly Emitter _emitter;
        bool _sequenceNext;
        readonly Encoder _encoder = new UTF8Encoding(false).GetEncoder();
        char[]? _chars;
        byte[]? _bytes;

        public Events(Stream? stdout)
        {
            _stdout = stdout;
            _emitter = new Emitter(_text);
            _emitter.Emit(new StreamStart());
            _emitter.Emit(new DocumentStart(null, null, true));
        }

        public string Text => _text.ToString();

        public void Token(ref Utf8JsonReader reader, long start, long end)
        {
            var type = reader.TokenType;
            if (_sequenceNext)
            {
                _sequenceNext = false;
                _emitter.Emit(new SequenceStart(null, null, true, type == JsonTokenType.EndArray ? SequenceStyle.Flow : SequenceStyle.Block));
            }
            switch (type)
            {
                case JsonTokenType.StartObject:
                    _emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
                    break;
                case JsonTokenType.EndObject:
                    _emitter.Emit(new MappingEnd());
                    break;
                case JsonTokenType.StartArray:
                    _sequenceNext = true;
                    break;
                case JsonTokenType.EndArray:
                    _emitter.Emit(new SequenceEnd());
                    break;
                case JsonTokenType.PropertyName:
                    _emitter.Emit(StringScalar(reader.GetString()!, key: true));
                    break;
                case JsonTokenType.String:
                    _emitter.Emit(StringScalar(reader.GetString()!));
                    break;
                case JsonTokenType.True:
                    _emitter.Emit(Plain("true"));
                    break;
                case JsonTokenType.False:
                    _emitter.Emit(Plain("false"));
                    break;
                case JsonTokenType.Null:
                    _emitter.Emit(Plain("null"));
                    break;
                case JsonTokenType.Number:
                    _emitter.Emit(Plain(Encoding.UTF8.GetString(reader.ValueSpan)));
                    break;
            }
            if (_stdout is not null && _text.GetStringBuilder().Length >= 1 << 16) Drain(final: false);
        }

        public void Complete()
        {
            _emitter.Emit(new DocumentEnd(true));
            _emitter.Emit(new StreamEnd());
            if (_stdout is not null) Drain(final: true);
        }

        /// <summary>
        /// Passes the text so far to stdout (but a trailing half of a surrogate pair), through two small reused buffers:
        /// a 64 KiB string and its bytes per drain would be large objects, kept until a full collection (+9 MiB peak on
        /// a 120k-entry listing).
        /// </summary>
        void Drain(bool final)
        {
            var sb = _text.GetStringBuilder();
            var n = sb.Length;
            if (!final && n > 0 && char.IsHighSurrogate(sb[n - 1])) n--;
            _chars ??= new char[4096];
            _bytes ??= new byte[Encoding.UTF8.GetMaxByteCount(_chars.Length)];
            for (var at = 0; at < n;)
            {
                var take = Math.Min(_chars.Length, n - at);
                sb.CopyTo(at, _chars, 0, take);
                at += take;
                var count = _encoder.GetBytes(_chars, 0, take, _bytes, 0, flush: final && at == n);
                _stdout!.Write(_bytes, 0, count);
            }
            sb.Remove(0, n);
        }

        static Scalar Plain(string value) => new(null, null, value, ScalarStyle.Plain, true, false);
    }

    /// <summary>
    /// SPEC §4: a string that a YAML 1.1 or 1.2 reader could take for another type is double-quoted
    /// (numbers in any base, sexagesimals such as <c>12:30</c> and <c>254:0</c>, octal-looking
    /// <c>0755</c>, dates and timestamps, booleans such as <c>yes</c>/<c>on</c>/<c>y</c>, nulls, <c>.inf</c>,
    /// the merge key <c>&lt;&lt;</c>). The rule errs on the side of quoting: a quoted string is always a string.
    /// Text with control characters (a tab included: PyYAML refuses a tab in a plain scalar, and a plain
    /// scalar loses leading and trailing ones) is double-quoted too, so the emitter escapes them. Other
    /// multi-line text that starts with a visible character is a literal block; a key never is.
    /// </summary>
    internal static Scalar StringScalar(string s, bool key = false)
    {
        ScalarStyle style;
        var unsafeChars = HasUnsafeChar(s);
        if (!key && s.Contains('\n') && !unsafeChars && !char.IsWhiteSpace(s[0]) && !s.EndsWith(' '))
            style = ScalarStyle.Literal;
        else if (unsafeChars || s.Contains('\t') || s.Contains('\n') || LooksTyped(s))
            style = ScalarStyle.DoubleQuoted;
        else
            style = ScalarStyle.Any;
        return new Scalar(null, null, s, style, true, true);
    }

    /// <summary>Characters a terminal or a YAML reader would act on: C0 (but newline and tab), DEL, C1, line separators, BOM, bidi controls.</summary>
    static bool HasUnsafeChar(string s)
    {
        foreach (var c in s)
        {
            if (c < ' ' ? c != '\n' && c != '\t' : Text.TerminalText.IsControl(c)) return true;
        }
        return false;
    }

    internal static bool LooksTyped(string s)
    {
        if (s.Length == 0) return true;
        var c0 = s[0];
        // Every YAML 1.1/1.2 number, sexagesimal, octal, date and timestamp starts with a digit, or a sign or dot then a digit.
        if (char.IsAsciiDigit(c0)) return true;
        if ((c0 is '+' or '-' or '.') && s.Length > 1 && (char.IsAsciiDigit(s[1]) || s[1] == '.')) return true;
        switch (s.ToLowerInvariant())
        {
            case "true" or "false" or "yes" or "no" or "on" or "off" or "y" or "n"
                or "null" or "~" or "=" or "<<"
                or ".inf" or "+.inf" or "-.inf" or ".nan":
                return true;
        }
        return false;
    }
}
