using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Text;

namespace Resh.Handles.Ssh.Hosts;

/// <summary>
/// Expands a <see cref="HostSpec"/> into hosts. <c>@group</c> comes from, in order: the Ansible
/// inventory named by <c>inventory=</c>, the config file's <c>[inventory]</c> groups, and the Ansible
/// inventory named by <c>[ssh] inventory</c>. A plain name that is an inventory host takes its
/// ansible_* connection settings.
/// </summary>
public sealed class HostResolver
{
    readonly Func<ReshConfig> _config;
    readonly string? _inventoryPath;
    Inventory? _file;
    Inventory? _configGroups;
    bool _loaded;

    public HostResolver(Func<ReshConfig> config, string? inventoryPath)
    {
        _config = config;
        _inventoryPath = inventoryPath;
    }

    /// <summary>
    /// The shell's completion of ssh://: Host aliases (no patterns) of the ssh_config ssh itself will read (the config's
    /// <c>[ssh] config</c>, else ~/.ssh/config; see <see cref="Transport.SshSettings.ConfigFileOf"/>), then @groups and
    /// hosts of the config's inventory. Never throws: a broken file completes nothing from it.
    /// </summary>
    public static IReadOnlyList<string> Completions(string partial)
    {
        var names = new List<string>();
        ReshConfig? config = null;
        try { config = ReshConfig.Load(ReshPaths.FromEnvironment(), null); }
        catch (Exception ex) when (ex is not OutOfMemoryException) { }
        try
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            var sshConfig = Transport.SshSettings.ConfigFileOf(config?.Section("ssh"))
                ?? (string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".ssh", "config"));
            if (sshConfig is not null && File.Exists(sshConfig))
                foreach (var line in File.ReadLines(sshConfig).Take(5000))
                {
                    var t = line.Trim();
                    if (!t.StartsWith("Host ", StringComparison.OrdinalIgnoreCase) && !t.StartsWith("Host\t", StringComparison.OrdinalIgnoreCase)) continue;
                    names.AddRange(t[5..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Where(n => n.IndexOfAny(['*', '?', '!']) < 0));
                }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ReshException) { }
        if (config is not null)
        {
            try
            {
                var resolver = new HostResolver(() => config, null);
                resolver.Load();
                foreach (var inv in resolver.Sources())
                {
                    names.AddRange(inv.GroupNames.Select(g => "@" + g));
                    names.AddRange(inv.HostNames);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException) { }
        }
        return names.Where(n => n.StartsWith(partial, StringComparison.Ordinal)).Distinct().Take(500).ToList();
    }

    public IReadOnlyList<HostTarget> Resolve(HostSpec spec)
    {
        var result = new List<HostTarget>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in spec.Items)
        {
            if (item.Group is { } group)
            {
                var (inv, hosts) = FindGroup(group);
                foreach (var h in hosts)
                {
                    var target = inv.HasHost(h) ? inv.Target(h, item.User, item.Port) : PlainTarget(h, item.User, item.Port);
                    if (seen.Add(target.Alias)) result.Add(target);
                }
                continue;
            }
            foreach (var name in item.Names)
            {
                var target = PlainTarget(name, item.User, item.Port);
                if (seen.Add(target.Alias)) result.Add(target);
            }
        }
        if (result.Count == 0)
            throw ReshError.NotFound($"`{spec.Text}` names no hosts.", "The group is empty; check the inventory.").ToException();
        return result;
    }

    /// <summary>
    /// Ansible's --limit: patterns separated by , or : — host names and groups, with * and ? wildcards;
    /// <c>!pattern</c> removes hosts, <c>&amp;pattern</c> keeps only hosts that also match. Plain patterns add up;
    /// with none, every host is the start. Order stays as the hosts were named.
    /// </summary>
    public IReadOnlyList<HostTarget> Limit(IReadOnlyList<HostTarget> hosts, string limit)
    {
        var items = limit.Split([',', ':'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) return hosts;
        Load();
        bool Matches(HostTarget h, string pattern)
        {
            if (pattern is "all" or "*") return true;
            if (Glob.Matches(pattern, h.Alias) || Glob.Matches(pattern, h.Destination) || h.HostName is { } hn && Glob.Matches(pattern, hn)) return true;
            foreach (var inv in Sources())
                if (inv.HasHost(h.Destination) && inv.GroupsOf(h.Destination).Any(g => Glob.Matches(pattern, g))) return true;
            return false;
        }
        var plus = items.Where(i => i[0] is not ('!' or '&')).ToList();
        var result = hosts.Where(h => plus.Count == 0 || plus.Any(p => Matches(h, p)))
            .Where(h => items.Where(i => i[0] == '&').All(i => Matches(h, i[1..])))
            .Where(h => !items.Where(i => i[0] == '!').Any(i => Matches(h, i[1..])))
            .ToList();
        if (result.Count == 0)
            throw ReshError.NotFound($"--limit {limit} leaves none of the {hosts.Count} host(s).", "Check the patterns: host names or groups, * wildcards, !exclude, &intersect.",
                new JsonObject { ["limit"] = limit, ["hosts"] = new JsonArray(hosts.Select(h => (JsonNode?)h.Alias).ToArray()) }).ToException();
        return result;
    }

    /// <summary>Shell-style * and ? matching, case-sensitive like Ansible's host patterns.</summary>
    static class Glob
    {
        public static bool Matches(string pattern, string text)
        {
            int p = 0, t = 0, star = -1, mark = 0;
            while (t < text.Length)
            {
                if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
                else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
                else if (star >= 0) { p = star + 1; t = ++mark; }
                else return false;
            }
            while (p < pattern.Length && pattern[p] == '*') p++;
            return p == pattern.Length;
        }
    }

    HostTarget PlainTarget(string name, string? user, int? port)
    {
        Load();
        foreach (var inv in Sources())
            if (inv.HasHost(name)) return inv.Target(name, user, port);
        // An IPv6 address keeps its brackets next to a port, as it must be written to be pasted back.
        return new HostTarget(port is null ? name : name.Contains(':') ? $"[{name}]:{port}" : $"{name}:{port}", name, user, port);
    }

    (Inventory Inventory, IReadOnlyList<string> Hosts) FindGroup(string group)
    {
        Load();
        foreach (var inv in Sources())
            if (inv.HasGroup(group)) return (inv, inv.HostsOf(group));
        var known = Sources().SelectMany(i => i.GroupNames).Distinct().ToList();
        var where = Sources().Any() ? string.Join(", ", Sources().Select(i => i.Source)) : null;
        throw ReshError.NotFound(
            where is null ? $"Group @{group} is unknown: no inventory is configured." : $"Group @{group} is not in the inventory ({where}).",
            Suggest.Hint(group, known, prefix: "@")
                ?? "Define it in the config file ([inventory] " + group + " = [\"host1\", \"host2\"]) or pass inventory=PATH (an Ansible INI or YAML inventory).",
            new JsonObject { ["group"] = group, ["groups"] = new JsonArray(known.Select(k => (JsonNode?)k).ToArray()) }).ToException();
    }

    IEnumerable<Inventory> Sources()
    {
        if (_file is not null) yield return _file;
        if (_configGroups is not null) yield return _configGroups;
    }

    void Load()
    {
        if (_loaded) return;
        _loaded = true;
        if (_inventoryPath is not null)
        {
            _file = AnsibleInventory.Load(_inventoryPath);
            return; // an explicit inventory is the whole inventory
        }
        var config = _config();
        if (config.Section("inventory") is { } section) _configGroups = FromConfig(section, config.Path ?? "config");
        if (config.Section("ssh")?["inventory"] is JsonValue v && v.TryGetValue<string>(out var path) && path.Length > 0)
            _file = AnsibleInventory.Load(ExpandHome(path));
    }

    /// <summary><c>[inventory]</c>: <c>group = ["host", "web[01:03]", "@other"]</c> or <c>group = { hosts = [...], user = "deploy", port = 2222 }</c>.</summary>
    static Inventory FromConfig(JsonObject section, string path)
    {
        var inv = new Inventory($"{path} [inventory]");
        foreach (var (name, node) in section)
        {
            JsonArray? hosts = node as JsonArray;
            var vars = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node is JsonObject table)
            {
                hosts = table["hosts"] as JsonArray;
                if (Str(table["user"]) is { } u) vars["ansible_user"] = u;
                if (table["port"] is JsonValue pv && pv.TryGetValue<long>(out var port)) vars["ansible_port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (Str(table["identity_file"]) is { } k) vars["ansible_ssh_private_key_file"] = ExpandHome(k);
            }
            if (hosts is null)
                throw ReshError.Usage($"[inventory] {name} in {path} must be a list of hosts or a table with `hosts`.", $"Example: {name} = [\"web01\", \"web02\"]").ToException();
            var group = inv.GetOrAddGroup(name);
            foreach (var (k, v) in vars) group.Vars[k] = v;
            foreach (var h in hosts)
            {
                var text = Str(h) ?? throw ReshError.Usage($"[inventory] {name} in {path} holds a non-string host.", null).ToException();
                if (text.StartsWith('@')) { if (!group.Children.Contains(text[1..])) group.Children.Add(text[1..]); continue; }
                foreach (var expanded in HostRange.Expand(text)) inv.AddHost(name, expanded);
            }
        }
        return inv;
    }

    static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static string ExpandHome(string path) => path.StartsWith("~/", StringComparison.Ordinal)
        ? Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/", path[2..]) : path;
}
