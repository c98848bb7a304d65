using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Config.Formats;

/// <summary>One key = value line: where its key and value sit, to replace the value or drop the line.</summary>
internal sealed record KvLine(string? Section, string Key, string Value, int LineStart, int LineEnd, int ValueStart, int ValueEnd, char Quote, string Separator, string Lead);

/// <summary>A [section] header line and the extent of its section.</summary>
internal sealed record SectionLine(string Name, int LineStart, int LineEnd, int SectionEnd);

/// <summary>
/// Line-based formats (INI, .env, Java properties, sysctl.conf): values are strings; an edit replaces a value's
/// text on its line, adds a line after its siblings in their style, or removes lines. Nothing else moves.
/// </summary>
internal abstract class LineFormat : ConfigFormat
{
    protected abstract bool Sections { get; }
    protected abstract (List<KvLine> Lines, List<SectionLine> Sections) Scan(string text);
    protected abstract string Quote(string value, char oldQuote);
    protected virtual string DefaultSeparator => " = ";

    public override JsonNode? Normalize(JsonNode? value) => JsonValue.Create(AsText(value));

    public override string Render(JsonNode? data) => LineRender.Render(data, Sections,
        k => { var r = RenderKey(k); CheckKey(r); return r; }, DefaultSeparator, (k, v) => { CheckValue(k, v); return Quote(v, '\0'); }, CheckSection);

    /// <summary>
    /// Refuses a key this format cannot hold on a line of its own: written unchecked, a key such as <c>$(touch x)</c> or
    /// <c>A=B</c> would become a different line (in a sourced .env, a command). Throws usage naming the key.
    /// </summary>
    protected virtual void CheckKey(string key)
    {
        if (key.Length == 0 || key.Any(char.IsControl))
            throw BadKey(key, "is empty or holds a control character (a newline would start another line)");
    }

    protected virtual void CheckSection(string section) { }

    protected virtual void CheckValue(string key, string value) { }

    protected ReshException BadKey(string key, string why) =>
        ReshError.Usage($"The key `{Shown(key)}` {why}, so it cannot be written to a {Name} file.", KeyHint).ToException();

    /// <summary>A key or name as a message shows it: control characters escaped, so the message stays one line.</summary>
    protected static string Shown(string s) =>
        string.Concat(s.Select(c => c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", < ' ' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture), _ => c.ToString() }));

    protected virtual string KeyHint => "Use a key of letters, digits, '_', '-' and '.'.";

    protected virtual string RenderKey(string key) => KeyText(key);

    protected static string AsText(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => throw ReshError.Usage("This format holds text values only, not lists or tables.", "Set a string or a number; convert to YAML, JSON or TOML for nested data.").ToException(),
    };

    public override JsonNode? Read(string text)
    {
        var (lines, sections) = Scan(text);
        var root = new JsonObject();
        foreach (var s in sections) if (!root.ContainsKey(s.Name)) root[s.Name] = new JsonObject();
        foreach (var l in lines)
        {
            var target = l.Section is null ? root : (JsonObject)root[l.Section]!;
            target[l.Key] = l.Value;
        }
        return root;
    }

    /// <summary>(section, key) of a path: INI splits at the dot that leaves an existing section; flat formats take the whole key.</summary>
    public (string? Section, string? Key) Resolve(string text, KeyPath path)
    {
        if (path.IsRoot) return (null, null);
        if (!Sections)
        {
            if (path.IsPointer && path.Segments.Count != 1)
                throw ReshError.Usage($"`{path}` has {path.Segments.Count} levels; this format has flat keys.", "Name the whole key: key=net.ipv4.ip_forward or key=/net.ipv4.ip_forward.").ToException();
            return (null, path.IsPointer ? path.Segments[0] : path.Text);
        }
        if (path.IsPointer)
        {
            return path.Segments.Count switch
            {
                1 => Scan(text).Sections.Any(s => s.Name == path.Segments[0]) ? (path.Segments[0], (string?)null) : ((string?)null, path.Segments[0]),
                2 => (path.Segments[0], path.Segments[1]),
                _ => throw ReshError.Usage($"`{path}` has {path.Segments.Count} levels; INI has sections and keys.", "Name section and key: /section/key.").ToException(),
            };
        }
        var sections = Scan(text).Sections;
        var t = path.Text;
        if (sections.Any(s => s.Name == t)) return (t, null);
        for (int i = t.LastIndexOf('.'); i > 0; i = t.LastIndexOf('.', i - 1))
            if (sections.Any(s => s.Name == t[..i])) return (t[..i], t[(i + 1)..]);
        var dot = t.IndexOf('.');
        return dot < 0 ? (null, t) : (t[..dot], t[(dot + 1)..]);
    }

    /// <summary>The path as data keys (for reading the data this format produced).</summary>
    public KeyPath Canonical(string text, KeyPath path)
    {
        var (section, key) = Resolve(text, path);
        var segs = new List<string>();
        if (section is not null) segs.Add(section);
        if (key is not null) segs.Add(key);
        return KeyPath.Of(segs);
    }

    public override string Set(string text, KeyPath path, JsonNode? value)
    {
        var (section, key) = Resolve(text, path);
        if (key is null)
            throw ReshError.Usage(path.IsRoot ? "set needs a key." : $"`{path}` is a section; set one of its keys.", "key=section.name value=...").ToException();
        var str = AsText(value);
        CheckValue(key, str);
        var (lines, sections) = Scan(text);
        var nl = TextSpans.Newline(text);
        var existing = lines.LastOrDefault(l => l.Section == section && l.Key == key);
        // A bare key (an INI flag such as skip-networking, a properties key alone) has no separator: a value brings one.
        if (existing is not null)
            return new Splice(existing.ValueStart, existing.ValueEnd, (existing.Separator.Length == 0 && str.Length > 0 ? DefaultSeparator : "") + Quote(str, existing.Quote)).ApplyTo(text);
        CheckKey(key);
        if (section is not null && !sections.Any(s => s.Name == section)) CheckSection(section);
        var siblings = lines.Where(l => l.Section == section).ToList();
        var style = siblings.LastOrDefault() ?? lines.LastOrDefault();
        // The separator comes from a sibling that has one; a bare flag line has none to copy.
        var separator = (siblings.LastOrDefault(l => l.Separator.Length > 0) ?? lines.LastOrDefault(l => l.Separator.Length > 0))?.Separator ?? DefaultSeparator;
        var line = (style?.Lead ?? "") + KeyText(key) + separator + Quote(str, '\0') + nl;
        if (siblings.Count > 0)
        {
            var at = siblings[^1].LineEnd;
            return new Splice(at, at, Prefix(text, at, nl) + line).ApplyTo(text);
        }
        if (section is null)
        {
            // Keys before the first section: after the leading comment block when there are sections, else at the end.
            var at = sections.Count > 0 ? sections[0].LineStart : text.Length;
            return new Splice(at, at, Prefix(text, at, nl) + line).ApplyTo(text);
        }
        var header = sections.LastOrDefault(s => s.Name == section);
        if (header is not null) return new Splice(header.LineEnd, header.LineEnd, Prefix(text, header.LineEnd, nl) + line).ApplyTo(text);
        var sep = text.Length == 0 ? "" : text.EndsWith('\n') ? nl : nl + nl;
        return text + sep + "[" + section + "]" + nl + line;
    }

    protected virtual string KeyText(string key) => key;

    public override List<(int Start, int End)> SecretSpans(string text)
    {
        var spans = new List<(int, int)>();
        foreach (var l in Scan(text).Lines)
        {
            if (l.ValueEnd <= l.ValueStart) continue;
            if (ConfigSecrets.IsSecretKey(l.Key) || (l.Section is not null && ConfigSecrets.IsSecretKey(l.Section))) spans.Add((l.ValueStart, l.ValueEnd));
            else spans.AddRange(ConfigSecrets.CredentialSpans(text, l.ValueStart, l.ValueEnd));
        }
        return spans;
    }

    static string Prefix(string text, int at, string nl) => at > 0 && at == text.Length && text[^1] != '\n' ? nl : "";

    public override string? Delete(string text, KeyPath path)
    {
        var (section, key) = Resolve(text, path);
        var (lines, sections) = Scan(text);
        var ranges = new List<(int Start, int End)>();
        if (key is null)
        {
            foreach (var s in sections.Where(s => s.Name == section)) ranges.Add((s.LineStart, s.SectionEnd));
        }
        else
        {
            foreach (var l in lines.Where(l => l.Section == section && l.Key == key)) ranges.Add((l.LineStart, l.LineEnd));
        }
        if (ranges.Count == 0) return null;
        var sb = new StringBuilder(text);
        foreach (var (s, e) in ranges.OrderByDescending(r => r.Start)) sb.Remove(s, e - s);
        return sb.ToString();
    }

    /// <summary>Splits text into lines with their start offsets (the end offset includes the newline).</summary>
    protected static IEnumerable<(int Start, int End, string Line)> Lines(string text)
    {
        int pos = 0;
        while (pos < text.Length)
        {
            var nl = text.IndexOf('\n', pos);
            var end = nl < 0 ? text.Length : nl + 1;
            var line = text[pos..(nl < 0 ? text.Length : nl)].TrimEnd('\r');
            yield return (pos, end, line);
            pos = end;
        }
    }

    protected static int SkipSpace(string s, int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t') i++;
        return i;
    }
}

/// <summary>INI (Windows, PHP, systemd units, git-style): [section], key = value or key: value, ; and # comments.</summary>
internal sealed class IniFormat : LineFormat
{
    public static readonly IniFormat Instance = new();
    public override string Name => "ini";
    protected override bool Sections => true;

    protected override (List<KvLine>, List<SectionLine>) Scan(string text)
    {
        var lines = new List<KvLine>();
        var sections = new List<SectionLine>();
        string? section = null;
        foreach (var (start, end, line) in Lines(text))
        {
            var i = SkipSpace(line, 0);
            if (i >= line.Length || line[i] is ';' or '#') continue;
            if (line[i] == '[')
            {
                var close = line.IndexOf(']', i);
                if (close < 0) throw Invalid("INI", "a [section] header is not closed", LineNo(text, start));
                section = line[(i + 1)..close].Trim();
                if (sections.Count > 0) sections[^1] = sections[^1] with { SectionEnd = start };
                sections.Add(new SectionLine(section, start, end, text.Length));
                continue;
            }
            var sep = line.IndexOfAny(['=', ':'], i);
            var comment = CommentStart(line, i);
            if (sep < 0 || (comment >= 0 && comment < sep))
            {
                // A bare key (a flag: skip-networking), possibly followed by a comment.
                var flagEnd = comment < 0 ? line.Length : comment;
                while (flagEnd > i && line[flagEnd - 1] is ' ' or '\t') flagEnd--;
                lines.Add(new KvLine(section, line[i..flagEnd], "", start, end, start + flagEnd, start + flagEnd, '\0', "", line[..i]));
                continue;
            }
            var key = line[i..sep].TrimEnd();
            var vs = SkipSpace(line, sep + 1);
            int ve;
            string raw;
            char q = '\0';
            // A quoted value keeps ; and # inside; after the closing quote only space or a comment may follow.
            int closeQuote = vs < line.Length && line[vs] is '"' or '\'' ? line.IndexOf(line[vs], vs + 1) : -1;
            int after = closeQuote < 0 ? -1 : SkipSpace(line, closeQuote + 1);
            if (closeQuote > 0 && (after == line.Length || (after > closeQuote + 1 && line[after] is ';' or '#')))
            {
                q = line[vs];
                raw = line[(vs + 1)..closeQuote];
                ve = closeQuote + 1;
            }
            else
            {
                // Like configparser's inline_comment_prefixes, git-config and MySQL: ; or # after whitespace starts a comment.
                var c = CommentStart(line, vs);
                ve = c < 0 ? line.Length : c;
                while (ve > vs && line[ve - 1] is ' ' or '\t') ve--;
                raw = line[vs..ve];
            }
            var keyEnd = i + key.Length;
            lines.Add(new KvLine(section, key, raw, start, end, start + vs, start + ve, q, line[keyEnd..vs], line[..i]));
        }
        return (lines, sections);
    }

    static int LineNo(string text, int pos) => text.AsSpan(0, pos).Count('\n') + 1;

    /// <summary>Where an inline comment starts: a ; or # at the start of the value or after whitespace; -1 when there is none.</summary>
    static int CommentStart(string line, int from)
    {
        for (int j = from; j < line.Length; j++)
            if (line[j] is ';' or '#' && j > 0 && line[j - 1] is ' ' or '\t') return j;
        return -1;
    }

    protected override void CheckKey(string key)
    {
        base.CheckKey(key);
        if (key != key.Trim()) throw BadKey(key, "starts or ends with a space (INI readers trim it)");
        if (key.IndexOfAny(['=', ':']) >= 0) throw BadKey(key, "holds '=' or ':' (INI readers split the line there)");
        if (key[0] is '[' or '#' or ';') throw BadKey(key, $"starts with '{key[0]}' (INI readers take that line for a section or a comment)");
    }

    protected override void CheckSection(string section)
    {
        if (section.Length == 0 || section != section.Trim() || section.Any(char.IsControl) || section.IndexOfAny(['[', ']']) >= 0)
            throw ReshError.Usage($"The section name `{Shown(section)}` is empty, has spaces around it, or holds '[', ']' or a control character, so it cannot be an INI [section].",
                "Use a section name of letters, digits, '_', '-' and '.'.").ToException();
    }

    /// <summary>
    /// A value on more than one line is refused: written raw, the next line reads back as a key of its own here, and
    /// configparser reads it as a continuation only when indented (resh reads one line per key).
    /// </summary>
    protected override void CheckValue(string key, string value)
    {
        if (value.Contains('\n') || value.Contains('\r'))
            throw ReshError.Usage($"The value of `{Shown(key)}` has more than one line, and an INI value is one line.",
                "Join its lines (or encode them, e.g. with \\n) before writing INI; convert to=yaml, toml or json keep multi-line values.").ToException();
    }

    protected override string Quote(string value, char oldQuote) =>
        oldQuote != '\0' ? oldQuote + value + oldQuote
        : value != value.Trim() || value.Contains(';') || value.Contains('#') || (value.Length > 1 && value[0] is '"' or '\'' && value[^1] == value[0]) ? "\"" + value + "\"" : value;
}

/// <summary>sysctl.conf and sysctl.d: key = value, # and ; comments, a leading - (ignore errors) kept with the key's line.</summary>
internal sealed class SysctlFormat : LineFormat
{
    public static readonly SysctlFormat Instance = new();
    public override string Name => "sysctl";
    protected override bool Sections => false;

    protected override (List<KvLine>, List<SectionLine>) Scan(string text)
    {
        var lines = new List<KvLine>();
        foreach (var (start, end, line) in Lines(text))
        {
            var i = SkipSpace(line, 0);
            if (i >= line.Length || line[i] is ';' or '#') continue;
            var sep = line.IndexOf('=', i);
            if (sep < 0) throw Invalid("sysctl.conf", "a line without '='", text.AsSpan(0, start).Count('\n') + 1);
            var lead = line[..i];
            if (line[i] == '-') i++; // "ignore errors": stays on its line, not copied to new keys
            var key = line[i..sep].TrimEnd().Replace('/', '.');
            var vs = SkipSpace(line, sep + 1);
            var ve = line.Length;
            while (ve > vs && line[ve - 1] is ' ' or '\t') ve--;
            lines.Add(new KvLine(null, key, line[vs..ve], start, end, start + vs, start + ve, '\0', line[(i + line[i..sep].TrimEnd().Length)..vs], lead));
        }
        return (lines, []);
    }

    protected override void CheckKey(string key)
    {
        base.CheckKey(key);
        if (key.Any(char.IsWhiteSpace) || key.Contains('=')) throw BadKey(key, "holds a space or '=' (sysctl splits the line there)");
        if (key[0] is '#' or ';' or '-') throw BadKey(key, $"starts with '{key[0]}' (sysctl takes that line for a comment or an ignore-errors mark)");
    }

    protected override string KeyHint => "Name a kernel parameter, e.g. net.ipv4.ip_forward.";

    protected override string Quote(string value, char oldQuote) =>
        value.Contains('\n') || value.Contains('\r') ? throw ReshError.Usage("A sysctl value is one line.", "Write the value on one line.").ToException() : value;
}

/// <summary>.env files (docker compose, systemd EnvironmentFile, dotenv): KEY=value, optional export, quoting kept.</summary>
internal sealed class EnvFormat : LineFormat
{
    public static readonly EnvFormat Instance = new();
    protected override string RenderKey(string key)
    {
        var k = new string(key.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_').ToArray());
        return k.Length > 0 && char.IsAsciiDigit(k[0]) ? "_" + k : k;
    }
    public override string Name => "env";
    protected override bool Sections => false;

    /// <summary>
    /// A .env key must be a shell variable name: the file is also sourced (set -a; . ./.env) and read by systemd's
    /// EnvironmentFile, so a key such as <c>$(touch x)</c>, <c>#X</c>, <c>A=B</c> or one with a space would be a command, a comment or another variable.
    /// </summary>
    protected override void CheckKey(string key)
    {
        if (key.Length == 0 || !(char.IsAsciiLetter(key[0]) || key[0] == '_') || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            throw BadKey(key, "is not a variable name (a shell sourcing the file would run or misread that line)");
    }

    protected override string KeyHint => "A .env key is a letter or '_' followed by letters, digits and '_' (LOG_LEVEL).";
    protected override string DefaultSeparator => "=";

    protected override (List<KvLine>, List<SectionLine>) Scan(string text)
    {
        var lines = new List<KvLine>();
        foreach (var (start, end, line) in Lines(text))
        {
            var i = SkipSpace(line, 0);
            if (i >= line.Length || line[i] == '#') continue;
            var lead = line[..i];
            if (line.AsSpan(i).StartsWith("export ")) { i = SkipSpace(line, i + 7); lead = line[..i]; }
            var sep = line.IndexOf('=', i);
            if (sep < 0) throw Invalid(".env", "a line without '='", text.AsSpan(0, start).Count('\n') + 1);
            var key = line[i..sep].TrimEnd();
            var vs = SkipSpace(line, sep + 1);
            string value;
            int ve;
            char q = '\0';
            if (vs < line.Length && line[vs] is '"' or '\'')
            {
                q = line[vs];
                var sb = new StringBuilder();
                int j = vs + 1;
                for (; j < line.Length && line[j] != q; j++)
                {
                    if (q == '"' && line[j] == '\\' && j + 1 < line.Length)
                    {
                        j++;
                        sb.Append(line[j] switch { 'n' => '\n', 't' => '\t', _ => line[j] });
                    }
                    else sb.Append(line[j]);
                }
                if (j >= line.Length) throw Invalid(".env", "a quoted value is not closed (multi-line values are not supported)", text.AsSpan(0, start).Count('\n') + 1);
                ve = j + 1;
                value = sb.ToString();
            }
            else
            {
                ve = line.Length;
                var hash = line.IndexOf(" #", vs, StringComparison.Ordinal);
                if (hash >= 0) ve = hash;
                while (ve > vs && line[ve - 1] is ' ' or '\t') ve--;
                value = line[vs..ve];
            }
            lines.Add(new KvLine(null, key, value, start, end, start + vs, start + ve, q, line[(i + key.Length)..vs], lead));
        }
        return (lines, []);
    }

    protected override string Quote(string value, char oldQuote)
    {
        if (oldQuote == '\'' && !value.Contains('\'') && !value.Contains('\n')) return "'" + value + "'";
        bool plain = value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "_-./:,@%+=".Contains(c));
        if (oldQuote == '\0' && (plain || value.Length == 0)) return value;
        return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("$", "\\$", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
    }
}

/// <summary>Java .properties: key=value, key: value or key value; # and ! comments; backslash continuations and escapes.</summary>
internal sealed class PropertiesFormat : LineFormat
{
    public static readonly PropertiesFormat Instance = new();
    public override string Name => "properties";
    protected override bool Sections => false;
    protected override string DefaultSeparator => "=";

    protected override (List<KvLine>, List<SectionLine>) Scan(string text)
    {
        var lines = new List<KvLine>();
        var all = Lines(text).ToList();
        for (int n = 0; n < all.Count; n++)
        {
            var (start, end, line) = all[n];
            var i = SkipSpace(line, 0);
            if (i >= line.Length || line[i] is '#' or '!') continue;
            // Logical line: physical lines joined while one ends in an odd number of backslashes.
            int lastEnd = end;
            string lastLine = line;
            int valueEndLine = n;
            while (EndsContinued(all[valueEndLine].Line) && valueEndLine + 1 < all.Count) valueEndLine++;
            lastEnd = all[valueEndLine].End;
            lastLine = all[valueEndLine].Line;
            var logical = start;
            int k = i;
            var key = new StringBuilder();
            while (k < line.Length && line[k] is not ('=' or ':' or ' ' or '\t'))
            {
                if (line[k] == '\\' && k + 1 < line.Length) { k++; key.Append(Unescape(line[k])); }
                else key.Append(line[k]);
                k++;
            }
            var keyEnd = k;
            k = SkipSpace(line, k);
            if (k < line.Length && line[k] is '=' or ':') k = SkipSpace(line, k + 1);
            var vs = start + k;
            var ve = all[valueEndLine].Start + lastLine.Length;
            var raw = text[vs..ve];
            lines.Add(new KvLine(null, key.ToString(), Decode(raw), start, lastEnd, vs, ve, '\0', line[keyEnd..k], line[..i]));
            n = valueEndLine;
        }
        return (lines, []);
    }

    static bool EndsContinued(string line)
    {
        int count = 0;
        for (int i = line.Length - 1; i >= 0 && line[i] == '\\'; i--) count++;
        return count % 2 == 1;
    }

    static char Unescape(char c) => c switch { 't' => '\t', 'n' => '\n', 'r' => '\r', 'f' => '\f', _ => c };

    static string Decode(string raw)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c != '\\' || i + 1 >= raw.Length) { if (c != '\r') sb.Append(c); continue; }
            var e = raw[++i];
            if (e == '\n' || e == '\r')
            {
                if (e == '\r' && i + 1 < raw.Length && raw[i + 1] == '\n') i++;
                while (i + 1 < raw.Length && raw[i + 1] is ' ' or '\t') i++;
                continue;
            }
            if (e == 'u' && i + 4 < raw.Length && int.TryParse(raw.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var u)) { sb.Append((char)u); i += 4; continue; }
            sb.Append(Unescape(e));
        }
        return sb.ToString();
    }

    /// <summary>Any key can be written: <see cref="KeyText"/> escapes separators, comment marks and control characters.</summary>
    protected override void CheckKey(string key) { }

    protected override string KeyText(string key)
    {
        var sb = new StringBuilder();
        foreach (var c in key)
            sb.Append(c switch
            {
                '=' or ':' or ' ' or '#' or '!' or '\\' => "\\" + c,
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        return sb.ToString();
    }

    protected override string Quote(string value, char oldQuote)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                case ' ' when i == 0: sb.Append("\\ "); break;
                default:
                    if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}

internal static class LineRender
{
    /// <summary>Data as lines of a line format: INI keeps one level of sections; deeper keys are joined with dots.</summary>
    public static string Render(JsonNode? data, bool sections, Func<string, string> key, string sep, Func<string, string, string> value, Action<string> section)
    {
        if (data is not JsonObject root)
            throw ReshError.Usage("Only an object (keys and values) can be written in this format.", "Convert an object, not a list or a single value.").ToException();
        var sb = new StringBuilder();
        var flat = new List<(string, JsonNode?)>();
        var tables = new List<(string, JsonObject)>();
        foreach (var (k, v) in root)
        {
            if (sections && v is JsonObject o) tables.Add((k, o));
            else Flatten(k, v, flat);
        }
        // INI readers (Python's configparser, Windows' GetPrivateProfileString) have no place for a key before the first
        // [section]: configparser rejects the whole file. Inventing a section (or [DEFAULT], whose keys every section
        // inherits) would change what the data means, so such a document is refused.
        if (sections && root.Where(p => p.Value is not JsonObject).Select(p => p.Key).ToList() is { Count: > 0 } loose)
            throw ReshError.Usage($"INI has no place for top-level values: `{loose[0]}`{(loose.Count > 1 ? $" (and {loose.Count - 1} more)" : "")} is not in a table, and INI readers such as Python's configparser reject keys before the first [section].",
                "Move top-level values into a table first (config set/merge), or convert to=properties or to=env, which hold flat keys.").ToException();
        foreach (var (k, v) in flat) sb.Append(key(k)).Append(sep).Append(value(k, Text(v))).Append('\n');
        foreach (var (name, o) in tables)
        {
            if (sb.Length > 0) sb.Append('\n');
            section(name);
            sb.Append('[').Append(name).Append("]\n");
            var inner = new List<(string, JsonNode?)>();
            foreach (var (k, v) in o) Flatten(k, v, inner);
            foreach (var (k, v) in inner) sb.Append(key(k)).Append(sep).Append(value(name + "." + k, Text(v))).Append('\n');
        }
        return sb.ToString();
    }

    static void Flatten(string prefix, JsonNode? v, List<(string, JsonNode?)> into)
    {
        switch (v)
        {
            case JsonObject o: foreach (var (k, c) in o) Flatten(prefix + "." + k, c, into); break;
            case JsonArray a: for (int i = 0; i < a.Count; i++) Flatten(prefix + "." + i.ToString(CultureInfo.InvariantCulture), a[i], into); break;
            default: into.Add((prefix, v)); break;
        }
    }

    static string Text(JsonNode? v) => v is null ? "" : v is JsonValue jv && jv.GetValueKind() == JsonValueKind.String ? jv.GetValue<string>() : v.ToJsonString();
}
