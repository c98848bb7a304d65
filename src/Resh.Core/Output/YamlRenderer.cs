using System.Globalization;
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
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        var emitter = new Emitter(writer);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, true));
        Emit(emitter, root);
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    static void Emit(IEmitter e, JsonNode? node)
    {
        switch (node)
        {
            case null:
                e.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonObject o:
                e.Emit(new MappingStart(null, null, true, MappingStyle.Block));
                foreach (var (k, v) in o)
                {
                    e.Emit(StringScalar(k, key: true));
                    Emit(e, v);
                }
                e.Emit(new MappingEnd());
                break;
            case JsonArray a:
                e.Emit(new SequenceStart(null, null, true, a.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var v in a) Emit(e, v);
                e.Emit(new SequenceEnd());
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                        e.Emit(StringScalar(v.GetValue<string>()));
                        break;
                    case JsonValueKind.True:
                        e.Emit(new Scalar(null, null, "true", ScalarStyle.Plain, true, false));
                        break;
                    case JsonValueKind.False:
                        e.Emit(new Scalar(null, null, "false", ScalarStyle.Plain, true, false));
                        break;
                    case JsonValueKind.Null:
                        e.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                        break;
                    default:
                        e.Emit(new Scalar(null, null, v.ToJsonString(), ScalarStyle.Plain, true, false));
                        break;
                }
                break;
        }
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
    static Scalar StringScalar(string s, bool key = false)
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
