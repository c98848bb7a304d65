using System.Globalization;
using System.Numerics;
using System.Text;

namespace Resh.Handles.Template.Engine;

/// <summary>
/// Python's string formatting, as Jinja2 templates use it: printf-style (the format filter, <c>"%05.1f" % x</c>'s rules)
/// and str.format (<c>"{:>5}".format(x)</c>), and Python's round() (half to even on the exact binary value).
/// </summary>
internal static class PyFormat
{
    const int MaxWidth = 1 << 20;

    /// <summary>A width or precision written in digits, capped at <paramref name="max"/> (99999999999 overflowed int: s36 attacker #8).</summary>
    static int Saturated(ReadOnlySpan<char> digits, int max)
    {
        long v = 0;
        foreach (var c in digits)
        {
            v = v * 10 + (c - '0');
            if (v >= max) return max;
        }
        return (int)v;
    }

    // ---- printf-style ----

    /// <summary>fmt % args: flags (-, +, space, #, 0), width, precision (or *), %(key)s from one dict argument.</summary>
    public static string Printf(string fmt, List<object?> args, Loc at)
    {
        var sb = new StringBuilder();
        int ai = 0;
        var mapping = args.Count == 1 && args[0] is Dictionary<string, object?> d ? d : null;
        object? Next()
        {
            if (ai >= args.Count) throw new TemplateError("format: not enough arguments for the format string.", at);
            return args[ai++];
        }
        for (int i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%') { sb.Append(fmt[i]); continue; }
            int j = i + 1;
            if (j >= fmt.Length) throw new TemplateError("format: the format string ends in a lone %.", at, "Write %% for a percent sign.");
            string? key = null;
            if (fmt[j] == '(')
            {
                var close = fmt.IndexOf(')', j);
                if (close < 0) throw new TemplateError("format: a %( has no closing ).", at);
                key = fmt[(j + 1)..close];
                j = close + 1;
            }
            bool left = false, plus = false, space = false, alt = false, zero = false;
            for (; j < fmt.Length && fmt[j] is '-' or '+' or ' ' or '#' or '0'; j++)
                switch (fmt[j]) { case '-': left = true; break; case '+': plus = true; break; case ' ': space = true; break; case '#': alt = true; break; default: zero = true; break; }
            int? width = null, precision = null;
            if (j < fmt.Length && fmt[j] == '*') { width = (int)Math.Clamp(AsLong(Next(), at), -MaxWidth, MaxWidth); j++; }
            else { int w0 = j; while (j < fmt.Length && char.IsAsciiDigit(fmt[j])) j++; if (j > w0) width = Saturated(fmt.AsSpan(w0, j - w0), MaxWidth); }
            if (width < 0) { left = true; width = -width; }
            if (j < fmt.Length && fmt[j] == '.')
            {
                j++;
                if (j < fmt.Length && fmt[j] == '*') { precision = (int)Math.Clamp(AsLong(Next(), at), 0, 1000); j++; }
                else { int p0 = j; while (j < fmt.Length && char.IsAsciiDigit(fmt[j])) j++; precision = j > p0 ? Saturated(fmt.AsSpan(p0, j - p0), 1000) : 0; }
            }
            while (j < fmt.Length && fmt[j] is 'h' or 'l' or 'L') j++;
            if (j >= fmt.Length) throw new TemplateError("format: incomplete format.", at);
            char conv = fmt[j];
            i = j;
            if (conv == '%') { sb.Append('%'); continue; }
            object? a;
            if (key is not null)
            {
                if (mapping is null) throw new TemplateError("format: %(name)s needs one dict argument.", at);
                if (!mapping.TryGetValue(key, out a)) throw new TemplateError($"format: the dict has no key '{key}'.", at);
            }
            else a = Next();
            string sign = "", prefix = "", body;
            bool numeric = true;
            switch (conv)
            {
                case 's': body = Str(a); numeric = false; if (precision is { } sp && sp < body.Length) body = body[..sp]; break;
                case 'r' or 'a': body = V.Repr(a); numeric = false; if (precision is { } rp && rp < body.Length) body = body[..rp]; break;
                case 'c':
                    body = a is string cs && cs.Length == 1 ? cs : a is long cl && cl is >= 0 and <= 0x10FFFF ? char.ConvertFromUtf32((int)cl) : throw new TemplateError("format: %c needs an integer or one character.", at);
                    numeric = false;
                    break;
                case 'd' or 'i' or 'u' or 'x' or 'X' or 'o':
                {
                    BigInteger n = a switch
                    {
                        long l => l,
                        bool b => b ? 1 : 0,
                        double f when conv is 'd' or 'i' or 'u' && double.IsFinite(f) => new BigInteger(Math.Truncate(f)),
                        _ => throw new TemplateError($"format: %{conv} needs {(conv is 'x' or 'X' or 'o' ? "an integer" : "a number")}, got {V.TypeName(a)}.", at),
                    };
                    if (n.Sign < 0) { sign = "-"; n = -n; } else if (plus) sign = "+"; else if (space) sign = " ";
                    body = conv switch
                    {
                        'x' => Hex(n, false),
                        'X' => Hex(n, true),
                        'o' => Octal(n),
                        _ => n.ToString(CultureInfo.InvariantCulture),
                    };
                    if (alt) prefix = conv switch { 'x' => "0x", 'X' => "0X", 'o' => "0o", _ => "" };
                    if (precision is { } ip && body.Length < ip) body = body.PadLeft(ip, '0');
                    break;
                }
                case 'f' or 'F' or 'e' or 'E' or 'g' or 'G':
                {
                    double f = a switch
                    {
                        long l => l,
                        double x => x,
                        bool b => b ? 1 : 0,
                        _ => throw new TemplateError($"format: %{conv} needs a number, got {V.TypeName(a)}.", at),
                    };
                    if (double.IsNegative(f) && !double.IsNaN(f)) { sign = "-"; f = -f; } else if (plus) sign = "+"; else if (space) sign = " ";
                    body = Float(f, conv, precision ?? 6, alt);
                    if (!double.IsFinite(f)) zero = false;
                    break;
                }
                default:
                    throw new TemplateError($"format: unsupported conversion %{conv}.", at, "Use %s, %r, %d, %i, %f, %e, %g, %x, %o, %c or %%.");
            }
            var text = prefix + body;
            int pad = (width ?? 0) - sign.Length - text.Length;
            if (pad <= 0) sb.Append(sign).Append(text);
            else if (left) sb.Append(sign).Append(text).Append(' ', pad);
            else if (zero && numeric) sb.Append(sign).Append(prefix).Append('0', pad).Append(body);
            else sb.Append(' ', pad).Append(sign).Append(text);
        }
        if (ai < args.Count && mapping is null)
            throw new TemplateError("format: not all arguments were used by the format string.", at);
        return sb.ToString();
    }

    static long AsLong(object? v, Loc at) => v is long l ? l : throw new TemplateError("format: * needs an integer.", at);

    static string Str(object? v) => v is null ? "None" : V.Str(v);

    static string Hex(BigInteger n, bool upper)
    {
        if (n.IsZero) return "0";
        var s = n.ToString(upper ? "X" : "x", CultureInfo.InvariantCulture).TrimStart('0');
        return s.Length == 0 ? "0" : s;
    }

    static string Octal(BigInteger n)
    {
        if (n.IsZero) return "0";
        var sb = new StringBuilder();
        while (!n.IsZero) { sb.Insert(0, (char)('0' + (int)(n % 8))); n /= 8; }
        return sb.ToString();
    }

    /// <summary>A non-negative double as Python's %f, %e or %g formats it.</summary>
    public static string Float(double f, char conv, int precision, bool alt)
    {
        bool upper = conv is 'F' or 'E' or 'G';
        if (double.IsNaN(f)) return upper ? "NAN" : "nan";
        if (double.IsInfinity(f)) return upper ? "INF" : "inf";
        switch (char.ToLowerInvariant(conv))
        {
            case 'f':
            {
                var s = f.ToString("F" + precision, CultureInfo.InvariantCulture);
                return alt && precision == 0 ? s + "." : s;
            }
            case 'e': return Exp(f, precision, upper, alt);
            default:
            {
                int p = precision == 0 ? 1 : precision;
                if (f == 0) return alt ? "0." + new string('0', p - 1) : "0";
                var e = f.ToString("E" + (p - 1), CultureInfo.InvariantCulture);
                int x = int.Parse(e.AsSpan(e.IndexOf('E') + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                string s;
                if (x >= -4 && x < p) s = f.ToString("F" + (p - 1 - x), CultureInfo.InvariantCulture);
                else s = Exp(f, p - 1, upper, true);
                if (alt) return s;
                // strip trailing zeros of the fraction (and the dot), in the mantissa only
                var ePos = s.IndexOfAny(['e', 'E']);
                var mant = ePos < 0 ? s : s[..ePos];
                var tail = ePos < 0 ? "" : s[ePos..];
                if (mant.Contains('.')) mant = mant.TrimEnd('0').TrimEnd('.');
                return mant + tail;
            }
        }
    }

    static string Exp(double f, int precision, bool upper, bool alt)
    {
        var s = f.ToString((upper ? "E" : "e") + precision, CultureInfo.InvariantCulture); // 1.234560e+004
        int ePos = s.IndexOfAny(['e', 'E']);
        var mant = s[..ePos];
        var exp = s[(ePos + 1)..];
        var sign = exp[0];
        var digits = exp[1..].TrimStart('0').PadLeft(2, '0');
        if (alt && !mant.Contains('.')) mant += ".";
        return $"{mant}{s[ePos]}{sign}{digits}";
    }

    // ---- str.format ----

    /// <summary>Python's str.format: {}, {0}, {name}, {0.attr}, {0[key]}, !r/!s, and the format spec mini-language.</summary>
    public static string Format(string fmt, List<object?> args, Dictionary<string, object?> kwargs, Loc at)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            char c = fmt[i];
            if (c == '}')
            {
                if (i + 1 < fmt.Length && fmt[i + 1] == '}') { sb.Append('}'); i++; continue; }
                throw new TemplateError("format: a single '}' in the format string.", at, "Write }} for a literal brace.");
            }
            if (c != '{') { sb.Append(c); continue; }
            if (i + 1 < fmt.Length && fmt[i + 1] == '{') { sb.Append('{'); i++; continue; }
            // a field: up to the matching } (a spec may hold one nested {} level)
            int depth = 1, j = i + 1;
            for (; j < fmt.Length && depth > 0; j++) { if (fmt[j] == '{') depth++; else if (fmt[j] == '}') depth--; }
            if (depth != 0) throw new TemplateError("format: a '{' is never closed.", at, "Write {{ for a literal brace.");
            var field = fmt[(i + 1)..(j - 1)];
            i = j - 1;
            string? spec = null, conv = null;
            int colon = IndexOutsideBrackets(field, ':');
            if (colon >= 0) { spec = field[(colon + 1)..]; field = field[..colon]; }
            int bang = IndexOutsideBrackets(field, '!');
            if (bang >= 0) { conv = field[(bang + 1)..]; field = field[..bang]; }
            var value = Resolve(field, args, kwargs, ref auto, at);
            if (spec is not null && spec.Contains('{'))
                spec = Format(spec, args, kwargs, at); // nested fields in the spec ({:{width}})
            value = conv switch
            {
                null => value,
                "r" or "a" => V.Repr(value),
                "s" => Str(value),
                _ => throw new TemplateError($"format: unknown conversion !{conv}.", at, "Use !r or !s."),
            };
            sb.Append(Spec(value, spec ?? "", at));
        }
        return sb.ToString();
    }

    static int IndexOutsideBrackets(string s, char ch)
    {
        int depth = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '[') depth++;
            else if (s[i] == ']') depth--;
            else if (s[i] == ch && depth == 0) return i;
        }
        return -1;
    }

    static object? Resolve(string field, List<object?> args, Dictionary<string, object?> kwargs, ref int auto, Loc at)
    {
        int k = 0;
        while (k < field.Length && field[k] is not ('.' or '[')) k++;
        var head = field[..k];
        object? value;
        if (head.Length == 0)
        {
            if (auto < 0) throw new TemplateError("format: cannot mix {} with {0}.", at);
            value = auto < args.Count ? args[auto++] : throw new TemplateError("format: not enough arguments for the format string.", at);
        }
        else if (int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            if (auto > 0) throw new TemplateError("format: cannot mix {} with {0}.", at);
            auto = -1;
            value = n < args.Count ? args[n] : throw new TemplateError($"format: no argument {n}.", at);
        }
        else value = kwargs.TryGetValue(head, out var kv) ? kv : throw new TemplateError($"format: no argument named '{head}'.", at);
        while (k < field.Length)
        {
            if (field[k] == '.')
            {
                int e = k + 1;
                while (e < field.Length && field[e] is not ('.' or '[')) e++;
                var name = field[(k + 1)..e];
                // Python: "{x.y}".format(x={"y": 1}) is an AttributeError; a dict's keys are {x[y]} (s36 user #10).
                value = value is Namespace ns && ns.TryGetValue(name, out var x) ? x
                    : throw new TemplateError($"format: a {V.TypeName(value)} has no attribute '{name}'.", at, value is Dictionary<string, object?> ? $"A dict's key is written {{name[{name}]}} in str.format." : null);
                k = e;
            }
            else
            {
                int e = field.IndexOf(']', k);
                if (e < 0) throw new TemplateError("format: a '[' is never closed in a field.", at);
                var key = field[(k + 1)..e];
                value = value switch
                {
                    List<object?> l when int.TryParse(key, out var idx) && idx >= 0 && idx < l.Count => l[idx],
                    Dictionary<string, object?> d when d.TryGetValue(key, out var x) => x,
                    _ => throw new TemplateError($"format: no item [{key}].", at),
                };
                k = e + 1;
            }
        }
        return value;
    }

    /// <summary>format(value, spec): [[fill]align][sign][#][0][width][,|_][.precision][type].</summary>
    public static string Spec(object? value, string spec, Loc at)
    {
        int i = 0;
        char fill = ' ', align = '\0', sign = '-';
        bool alt = false, zero = false;
        char grouping = '\0';
        int? width = null, precision = null;
        if (spec.Length >= 2 && spec[1] is '<' or '>' or '^' or '=') { fill = spec[0]; align = spec[1]; i = 2; }
        else if (spec.Length >= 1 && spec[0] is '<' or '>' or '^' or '=') { align = spec[0]; i = 1; }
        if (i < spec.Length && spec[i] is '+' or '-' or ' ') sign = spec[i++];
        if (i < spec.Length && spec[i] == 'z') i++;
        if (i < spec.Length && spec[i] == '#') { alt = true; i++; }
        if (i < spec.Length && spec[i] == '0') { zero = true; i++; }
        int w0 = i;
        while (i < spec.Length && char.IsAsciiDigit(spec[i])) i++;
        if (i > w0) width = Saturated(spec.AsSpan(w0, i - w0), MaxWidth);
        if (i < spec.Length && spec[i] is ',' or '_') grouping = spec[i++];
        if (i < spec.Length && spec[i] == '.')
        {
            int p0 = ++i;
            while (i < spec.Length && char.IsAsciiDigit(spec[i])) i++;
            if (i == p0) throw new TemplateError("format: a '.' in a format spec needs a precision.", at);
            precision = Saturated(spec.AsSpan(p0, i - p0), 1000);
        }
        char type = i < spec.Length ? spec[i++] : '\0';
        if (i < spec.Length) throw new TemplateError($"format: invalid format spec '{spec}'.", at);
        if (zero && align == '\0') { fill = '0'; align = '='; }

        string signText = "", prefix = "", body;
        bool number = value is long or double or bool && type != 's';
        if (value is bool bv && type == '\0') { body = bv ? "True" : "False"; number = false; }
        else if (!number || value is string)
        {
            if (type is not ('\0' or 's')) throw new TemplateError($"format: the spec '{spec}' needs a number, got {V.TypeName(value)}.", at);
            body = Str(value);
            if (precision is { } sp && sp < body.Length) body = body[..sp];
            number = false;
        }
        else if (type is 'd' or 'b' or 'o' or 'x' or 'X' or 'c' or 'n' || type == '\0' && value is long or bool)
        {
            if (value is double) throw new TemplateError($"format: the spec '{spec}' needs an integer, got a float.", at);
            BigInteger n = value is long l ? l : (bool)value! ? 1 : 0;
            if (n.Sign < 0) { signText = "-"; n = -n; } else if (sign == '+') signText = "+"; else if (sign == ' ') signText = " ";
            body = type switch
            {
                'b' => Binary(n),
                'o' => Octal(n),
                'x' => Hex(n, false),
                'X' => Hex(n, true),
                'c' => char.ConvertFromUtf32((int)n),
                _ => n.ToString(CultureInfo.InvariantCulture),
            };
            if (alt) prefix = type switch { 'b' => "0b", 'o' => "0o", 'x' => "0x", 'X' => "0X", _ => "" };
            if (grouping != '\0') body = Group(body, grouping, type is 'b' or 'o' or 'x' or 'X' ? 4 : 3);
        }
        else
        {
            double f = V.ToDouble(value);
            if (double.IsNegative(f) && !double.IsNaN(f)) { signText = "-"; f = -f; } else if (sign == '+') signText = "+"; else if (sign == ' ') signText = " ";
            if (type == '%') { f *= 100; }
            body = type switch
            {
                'f' or 'F' or '%' => Float(f, type == '%' ? 'f' : type, precision ?? 6, alt),
                'e' or 'E' => Float(f, type, precision ?? 6, alt),
                'g' or 'G' or 'n' => Float(f, type == 'n' ? 'g' : type, precision ?? 6, alt),
                '\0' => precision is { } gp ? GeneralNoType(f, gp) : V.Float(f),
                _ => throw new TemplateError($"format: unknown format type '{type}' for a float.", at),
            };
            if (grouping != '\0')
            {
                int dot = body.IndexOfAny(['.', 'e', 'E', 'n', 'i']);
                body = dot < 0 ? Group(body, grouping, 3) : Group(body[..dot], grouping, 3) + body[dot..];
            }
            if (type == '%') body += "%";
        }
        var all = signText + prefix + body;
        int pad = (width ?? 0) - all.Length;
        if (pad <= 0) return all;
        if (align == '\0') align = number ? '>' : '<';
        return align switch
        {
            '<' => all + new string(fill, pad),
            '^' => new string(fill, pad / 2) + all + new string(fill, pad - pad / 2),
            '=' => signText + prefix + new string(fill, pad) + body,
            _ => new string(fill, pad) + all,
        };
    }

    static string GeneralNoType(double f, int precision)
    {
        var s = Float(f, 'g', precision == 0 ? 1 : precision, false);
        return s.Contains('.') || s.Contains('e') || s.Contains("inf") || s.Contains("nan") ? s : s + ".0";
    }

    static string Binary(BigInteger n)
    {
        if (n.IsZero) return "0";
        var sb = new StringBuilder();
        while (!n.IsZero) { sb.Insert(0, n.IsEven ? '0' : '1'); n >>= 1; }
        return sb.ToString();
    }

    static string Group(string digits, char sep, int every)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < digits.Length; i++)
        {
            if (i > 0 && (digits.Length - i) % every == 0) sb.Append(sep);
            sb.Append(digits[i]);
        }
        return sb.ToString();
    }

    // ---- round ----

    /// <summary>Python's round(x, ndigits): the exact binary value rounded half to even at that decimal place.</summary>
    public static double Round(double d, int ndigits)
    {
        if (!double.IsFinite(d) || d == 0) return d;
        long bits = BitConverter.DoubleToInt64Bits(d);
        bool negative = bits < 0;
        int exp = (int)((bits >> 52) & 0x7FF);
        long frac = bits & 0xFFFFFFFFFFFFFL;
        BigInteger m = exp == 0 ? frac : frac | (1L << 52);
        int e = (exp == 0 ? 1 : exp) - 1075; // d = m * 2^e
        BigInteger num = m, den = BigInteger.One;
        if (e >= 0) num <<= e; else den <<= -e;
        if (ndigits >= 0) num *= BigInteger.Pow(10, ndigits); else den *= BigInteger.Pow(10, -ndigits);
        var q = BigInteger.DivRem(num, den, out var r);
        var twice = r * 2;
        if (twice > den || twice == den && !q.IsEven) q += 1;
        var text = q.ToString(CultureInfo.InvariantCulture) + "e" + (-ndigits).ToString(CultureInfo.InvariantCulture);
        var result = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return negative ? -result : result;
    }
}
