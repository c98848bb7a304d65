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
                    e.Emit(StringScalar(k));
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

    /// <summary>Strings that a YAML reader would take for another type are quoted; multi-line text is a literal block.</summary>
    static Scalar StringScalar(string s)
    {
        ScalarStyle style;
        if (s.Contains('\n') && !s.Any(c => c < ' ' && c != '\n' && c != '\t') && !s.EndsWith(' '))
            style = ScalarStyle.Literal;
        else if (LooksTyped(s) || s.Any(c => c < ' '))
            style = ScalarStyle.DoubleQuoted;
        else
            style = ScalarStyle.Any;
        return new Scalar(null, null, s, style, true, true);
    }

    static bool LooksTyped(string s)
    {
        if (s.Length == 0) return true;
        switch (s.ToLowerInvariant())
        {
            case "true" or "false" or "yes" or "no" or "on" or "off" or "null" or "~" or "y" or "n":
                return true;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || s.StartsWith("0o", StringComparison.OrdinalIgnoreCase);
    }
}
