using Resh.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Resh.Handles.Ssh.Hosts;

/// <summary>
/// Reads an existing Ansible inventory as it is: INI (<c>[group]</c>, <c>[group:vars]</c>,
/// <c>[group:children]</c>, host ranges, inline <c>key=value</c> vars) or YAML (<c>all: hosts/children/vars</c>),
/// through YamlDotNet's representation model (no reflection serializer, AOT-safe).
/// </summary>
public static class AnsibleInventory
{
    public static Inventory Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw ReshError.NotFound($"Inventory {path} does not exist.", "Pass inventory=PATH to an Ansible INI or YAML inventory.").ToException();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ReshError.PermissionDenied($"Cannot read inventory {path}: {ExceptionTranslation.OneLine(ex.Message)}", null).ToException();
        }
        var ext = Path.GetExtension(path).ToLowerInvariant();
        var looksYaml = ext is ".yml" or ".yaml" || text.TrimStart().StartsWith("all:", StringComparison.Ordinal) || text.TrimStart().StartsWith("---", StringComparison.Ordinal);
        return looksYaml ? ParseYaml(text, path) : ParseIni(text, path);
    }

    public static Inventory ParseIni(string text, string source)
    {
        var inv = new Inventory(source);
        string group = "ungrouped";
        string kind = "hosts";
        int lineNo = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNo++;
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[')
            {
                var close = line.IndexOf(']');
                if (close < 0) throw Bad(source, lineNo, "a section header without `]`");
                var header = line[1..close];
                var colon = header.IndexOf(':');
                group = colon < 0 ? header : header[..colon];
                kind = colon < 0 ? "hosts" : header[(colon + 1)..];
                if (kind is not ("hosts" or "vars" or "children")) throw Bad(source, lineNo, $"an unknown section kind `{kind}`");
                inv.GetOrAddGroup(group);
                continue;
            }
            var words = SplitIniWords(line);
            switch (kind)
            {
                case "vars":
                    {
                        var eq = line.IndexOf('=');
                        if (eq <= 0) throw Bad(source, lineNo, "a vars line without key=value");
                        inv.GetOrAddGroup(group).Vars[line[..eq].Trim()] = Unquote(line[(eq + 1)..].Trim());
                        break;
                    }
                case "children":
                    {
                        var g = inv.GetOrAddGroup(group);
                        if (!g.Children.Contains(words[0])) g.Children.Add(words[0]);
                        inv.GetOrAddGroup(words[0]);
                        break;
                    }
                default:
                    {
                        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
                        foreach (var w in words.Skip(1))
                        {
                            var eq = w.IndexOf('=');
                            if (eq <= 0) throw Bad(source, lineNo, $"`{w}` where key=value was expected");
                            vars[w[..eq]] = Unquote(w[(eq + 1)..]);
                        }
                        // `host:port` is Ansible shorthand for ansible_port.
                        var name = words[0];
                        var colon = name.LastIndexOf(':');
                        if (colon > 0 && name.IndexOf(':') == colon && int.TryParse(name[(colon + 1)..], out _) && !name.EndsWith(']'))
                        {
                            vars.TryAdd("ansible_port", name[(colon + 1)..]);
                            name = name[..colon];
                        }
                        foreach (var host in HostRange.Expand(name)) inv.AddHost(group, host, vars);
                        break;
                    }
            }
        }
        return inv;
    }

    public static Inventory ParseYaml(string text, string source)
    {
        var inv = new Inventory(source);
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException ex)
        {
            throw ReshError.Usage($"Inventory {source} is not valid YAML (line {ex.Start.Line}): {ExceptionTranslation.OneLine(ex.Message)}", "Fix the YAML, or use an INI inventory.").ToException();
        }
        if (stream.Documents.Count == 0) return inv;
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw ReshError.Usage($"Inventory {source} must be a mapping of groups (all: hosts/children/vars).", null).ToException();
        foreach (var (k, v) in root.Children) ReadGroup(inv, Scalar(k) ?? "", v, source);
        return inv;
    }

    static void ReadGroup(Inventory inv, string name, YamlNode node, string source)
    {
        var group = inv.GetOrAddGroup(name);
        if (node is not YamlMappingNode map) return; // `group:` with nothing under it
        foreach (var (k, v) in map.Children)
        {
            switch (Scalar(k))
            {
                case "hosts":
                    if (v is YamlMappingNode hosts)
                        foreach (var (hk, hv) in hosts.Children)
                            foreach (var host in HostRange.Expand(Scalar(hk) ?? ""))
                                inv.AddHost(name, host, Vars(hv));
                    break;
                case "vars":
                    foreach (var (vk, vv) in Vars(v)) group.Vars[vk] = vv;
                    break;
                case "children":
                    if (v is YamlMappingNode children)
                        foreach (var (ck, cv) in children.Children)
                        {
                            var child = Scalar(ck) ?? "";
                            if (!group.Children.Contains(child)) group.Children.Add(child);
                            ReadGroup(inv, child, cv, source);
                        }
                    break;
            }
        }
    }

    static Dictionary<string, string> Vars(YamlNode node)
    {
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is YamlMappingNode map)
            foreach (var (k, v) in map.Children)
                if (Scalar(k) is { } key && Scalar(v) is { } value) vars[key] = value;
        return vars;
    }

    static string? Scalar(YamlNode node) => node is YamlScalarNode s ? s.Value : null;

    static List<string> SplitIniWords(string line)
    {
        var words = new List<string>();
        var cur = new System.Text.StringBuilder();
        char quote = '\0';
        foreach (var c in line)
        {
            if (quote != '\0') { cur.Append(c); if (c == quote) quote = '\0'; continue; }
            if (c is '"' or '\'') { quote = c; cur.Append(c); continue; }
            if (c is '#' or ';' && cur.Length == 0) break; // a trailing comment
            if (c is ' ' or '\t') { if (cur.Length > 0) { words.Add(cur.ToString()); cur.Clear(); } continue; }
            cur.Append(c);
        }
        if (cur.Length > 0) words.Add(cur.ToString());
        return words;
    }

    static string Unquote(string v) => v.Length >= 2 && (v[0] == '"' && v[^1] == '"' || v[0] == '\'' && v[^1] == '\'') ? v[1..^1] : v;

    static ReshException Bad(string source, int line, string what) =>
        ReshError.Usage($"Inventory {source} line {line} has {what}.", "resh reads Ansible INI inventories: [group], [group:vars], [group:children], host key=value.").ToException();
}
