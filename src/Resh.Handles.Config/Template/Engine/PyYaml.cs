using System.Globalization;
using Resh.Handles.Config.Formats;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Resh.Handles.Template.Engine;

/// <summary>
/// YAML text the way PyYAML's yaml.dump writes it, for Ansible's to_yaml (default_flow_style=None: a list or dict of
/// scalars only is written in flow style, [1, true]) and to_nice_yaml (block style, indent 4): keys sorted, a string that
/// YAML 1.1 would read as another type single-quoted ('yes', '0644'), long plain text folded at 80 columns. YamlDotNet's
/// emitter is a port of the same libyaml emitter PyYAML's follows, so the scalar styles and line breaks match.
/// </summary>
internal static class PyYaml
{
    public static string Dump(object? value, int indent, bool flowLeaves, long max)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        var emitter = new Emitter(text, EmitterSettings.Default.WithBestIndent(Math.Clamp(indent, 2, 9)).WithBestWidth(80));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, true));
        Emit(emitter, value, flowLeaves, 0, text.GetStringBuilder(), max);
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    static bool IsScalar(object? v) => v is not (List<object?> or Dictionary<string, object?>);

    static void Emit(IEmitter e, object? v, bool flowLeaves, int depth, System.Text.StringBuilder sb, long max)
    {
        if (depth > V.MaxNesting) throw new TemplateError($"A value nests deeper than {V.MaxNesting} levels.", null);
        if (sb.Length > max) throw new TemplateError($"A string grows past max_size ({max} bytes).", null, "Raise max_size if this is intended.", "failed");
        switch (v)
        {
            case Dictionary<string, object?> d:
            {
                // PyYAML: flow when default_flow_style is None and every value is a scalar; an empty one is {} either way.
                bool flow = d.Count == 0 || flowLeaves && d.Values.All(IsScalar);
                e.Emit(new MappingStart(null, null, true, flow ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var k in d.Keys.OrderBy(k => k, StringComparer.Ordinal))
                {
                    Emit(e, k, flowLeaves, depth + 1, sb, max);
                    Emit(e, d[k], flowLeaves, depth + 1, sb, max);
                }
                e.Emit(new MappingEnd());
                break;
            }
            case List<object?> l:
            {
                bool flow = l.Count == 0 || flowLeaves && l.All(IsScalar);
                e.Emit(new SequenceStart(null, null, true, flow ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var x in l) Emit(e, x, flowLeaves, depth + 1, sb, max);
                e.Emit(new SequenceEnd());
                break;
            }
            case string s: Text(e, s); break;
            case null or Undefined: Plain(e, "null"); break;
            case bool b: Plain(e, b ? "true" : "false"); break;
            case long n: Plain(e, n.ToString(CultureInfo.InvariantCulture)); break;
            case double f: Plain(e, Float(f)); break;
            default: Text(e, V.Str(v)); break;
        }
    }

    /// <summary>
    /// A string: plain when YAML 1.1 reads it back as this string and the emitter allows it, else single-quoted, else
    /// double-quoted. PyYAML never picks a block style (| or >) by itself, so text with line breaks is asked for
    /// single-quoted (the emitter falls back to double quotes where single ones cannot hold it).
    /// </summary>
    static void Text(IEmitter e, string s) =>
        e.Emit(new Scalar(null, null, s, Special(s) ? ScalarStyle.DoubleQuoted : s.Contains('\n') ? ScalarStyle.SingleQuoted : ScalarStyle.Any,
            !ReadsAsOtherType(s), true));

    /// <summary>
    /// Characters PyYAML's analyze_scalar calls special (a tab, CR, other control characters, a BOM, a lone surrogate), which
    /// only a double-quoted scalar holds with its escapes; the other line breaks (NEL, LS, PS) are folded or dropped by a
    /// loader in the other styles, so they are double-quoted too (s37 user #5: `a\tb`, `x\r\ny` and `\r` loaded back changed).
    /// </summary>
    static bool Special(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\n' || c is >= ' ' and <= '~') continue;
            if (c < ' ' || c is >= '\x7F' and < '\xA0' || c is '\x85' or '\u2028' or '\u2029' or '\uFEFF' or '\uFFFE' or '\uFFFF') return true;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return true;
        }
        return false;
    }

    static void Plain(IEmitter e, string text) => e.Emit(new Scalar(null, null, text, ScalarStyle.Plain, true, false));

    /// <summary>PyYAML's represent_float: .nan, .inf, -.inf, and repr() with a ".0" put before a bare exponent (1e+20 is 1.0e+20).</summary>
    static string Float(double f)
    {
        if (double.IsNaN(f)) return ".nan";
        if (double.IsPositiveInfinity(f)) return ".inf";
        if (double.IsNegativeInfinity(f)) return "-.inf";
        var r = V.Float(f).ToLowerInvariant();
        if (!r.Contains('.') && r.Contains('e')) r = r.Replace("e", ".0e");
        return r;
    }

    /// <summary>Whether PyYAML's resolver (YAML 1.1) reads this text, written plain, as something other than this string.</summary>
    static bool ReadsAsOtherType(string s)
    {
        if (s.Length == 0 || s is "=" or "<<") return true;
        if (Timestamp.IsMatch(s)) return true;
        return YamlFormat.Yaml11Value(s) is not System.Text.Json.Nodes.JsonValue v
            || v.GetValueKind() != System.Text.Json.JsonValueKind.String || v.GetValue<string>() != s;
    }

    static readonly System.Text.RegularExpressions.Regex Timestamp = new(
        @"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);
}
