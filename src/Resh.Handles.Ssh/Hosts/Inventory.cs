namespace Resh.Handles.Ssh.Hosts;

/// <summary>
/// Groups and per-host connection settings, from the config file's <c>[inventory]</c> or from an
/// Ansible INI or YAML inventory. Only the connection variables matter to resh: ansible_host,
/// ansible_port, ansible_user and ansible_ssh_private_key_file (and their older ansible_ssh_* names), and
/// ansible_become, ansible_become_user, ansible_become_method and ansible_become_password.
/// </summary>
public sealed class Inventory
{
    readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    readonly Dictionary<string, Dictionary<string, string>> _hostVars = new(StringComparer.Ordinal);
    readonly List<string> _hostOrder = [];

    public Inventory(string source) => Source = source;

    /// <summary>Where the inventory came from (a file path, or "config [inventory]").</summary>
    public string Source { get; }

    public sealed class Group
    {
        public List<string> Hosts { get; } = [];
        public List<string> Children { get; } = [];
        public Dictionary<string, string> Vars { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Every host, in the order first named.</summary>
    public IEnumerable<string> HostNames => _hostOrder;

    public IEnumerable<string> GroupNames => _groups.Keys.Append("all").Distinct();

    public Group GetOrAddGroup(string name)
    {
        if (!_groups.TryGetValue(name, out var g)) _groups[name] = g = new Group();
        return g;
    }

    public void AddHost(string group, string host, IReadOnlyDictionary<string, string>? vars = null)
    {
        var g = GetOrAddGroup(group);
        if (!g.Hosts.Contains(host)) g.Hosts.Add(host);
        if (!_hostVars.TryGetValue(host, out var hv))
        {
            _hostVars[host] = hv = new Dictionary<string, string>(StringComparer.Ordinal);
            _hostOrder.Add(host);
        }
        if (vars is not null) foreach (var (k, v) in vars) hv[k] = v;
    }

    public bool HasGroup(string name) => name == "all" || _groups.ContainsKey(name);

    /// <summary>The groups that hold the host (directly or through children), for --limit.</summary>
    public IEnumerable<string> GroupsOf(string host) => GroupsHolding(host).Append("all");
    public bool HasHost(string name) => _hostVars.ContainsKey(name);

    /// <summary>Every host of a group and its children, in inventory order; <c>all</c> is every host.</summary>
    public IReadOnlyList<string> HostsOf(string group)
    {
        if (group == "all" && !_groups.ContainsKey("all")) return _hostOrder;
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Collect(group, result, seen, new HashSet<string>(StringComparer.Ordinal));
        if (group == "all") foreach (var h in _hostOrder) if (seen.Add(h)) result.Add(h);
        return result;
    }

    void Collect(string group, List<string> result, HashSet<string> seen, HashSet<string> visiting)
    {
        if (!visiting.Add(group) || !_groups.TryGetValue(group, out var g)) return; // a cycle or a missing child
        foreach (var h in g.Hosts) if (seen.Add(h)) result.Add(h);
        foreach (var c in g.Children) Collect(c, result, seen, visiting);
    }

    /// <summary>The host's variables: all's, then each group's that holds it (parents before children), then its own.</summary>
    public IReadOnlyDictionary<string, string> VarsOf(string host)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_groups.TryGetValue("all", out var all)) foreach (var (k, v) in all.Vars) merged[k] = v;
        foreach (var name in GroupsHolding(host))
            if (name != "all" && _groups.TryGetValue(name, out var g))
                foreach (var (k, v) in g.Vars) merged[k] = v;
        if (_hostVars.TryGetValue(host, out var own)) foreach (var (k, v) in own) merged[k] = v;
        return merged;
    }

    /// <summary>Groups containing the host directly or through children, ordered from the outermost.</summary>
    IEnumerable<string> GroupsHolding(string host)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, g) in _groups)
            if (g.Hosts.Contains(host)) Mark(name, 100, depth);
        return depth.OrderBy(kv => kv.Value).Select(kv => kv.Key);
    }

    void Mark(string group, int level, Dictionary<string, int> depth)
    {
        if (depth.TryGetValue(group, out var known) && known <= level) return;
        depth[group] = level;
        foreach (var (name, g) in _groups)
            if (g.Children.Contains(group) && level > 0) Mark(name, level - 1, depth);
    }

    /// <summary>The connection settings an inventory host carries, as a <see cref="HostTarget"/>.</summary>
    public HostTarget Target(string host, string? user, int? port)
    {
        var vars = VarsOf(host);
        string? Var(params string[] names)
        {
            foreach (var n in names) if (vars.TryGetValue(n, out var v) && v.Length > 0) return v;
            return null;
        }
        int? invPort = int.TryParse(Var("ansible_port", "ansible_ssh_port"), out var p) && p is >= 1 and <= 65535 ? p : null;
        // As Ansible does, ansible_host is what ssh is given, so a Host block of ~/.ssh/config for it applies
        // (ansible_host=web01-alias reaches that alias's HostName, ProxyJump, ...).
        var target = new HostTarget(host, Var("ansible_host", "ansible_ssh_host") ?? host,
            User: user ?? Var("ansible_user", "ansible_ssh_user"),
            Port: port ?? invPort,
            IdentityFile: Var("ansible_ssh_private_key_file", "ansible_private_key_file"))
        {
            Become = Var("ansible_become") is { } b ? Resh.Core.Values.BoolValue.TryParse(b, out var on) ? on
                : throw Resh.Core.Errors.ReshError.Usage($"Inventory {Source}: ansible_become of `{host}` is `{b}`, not true or false.", null).ToException() : null,
            BecomeUser = Var("ansible_become_user"),
            BecomeMethod = Var("ansible_become_method"),
            BecomePassword = Var("ansible_become_password", "ansible_become_pass"),
        };
        // These values become ssh -o options: refuse anything ssh could read as more than one value.
        if (!HostSpec.IsHostName(host) || !HostSpec.IsHostName(target.Destination) || target.User is { } u && !HostSpec.IsUser(u)
            || target.IdentityFile is { } k && k.Any(char.IsControl))
            throw Resh.Core.Errors.ReshError.Usage($"Inventory {Source} has an invalid host name, ansible_host or ansible_user for `{host}`.",
                "Host names are letters, digits, '.', '-', '_' and ':'; users are plain login names.").ToException();
        return target;
    }
}
