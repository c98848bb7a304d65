using System.Globalization;

namespace Resh.Handles.Firewall;

/// <summary>Parses `iptables-save -c -t filter` (and ip6tables-save) into resh's model; resh's rules are merged back by their marker id.</summary>
public static class IptablesSave
{
    public static FwState Parse(string v4, string v6)
    {
        var chainsSeen = new HashSet<string>();
        var rules = new List<FwRule>();
        var policies = new Dictionary<string, string>();
        bool active = false;
        var managed = new Dictionary<string, (FwRule Rule, HashSet<string> Families, HashSet<string?> Protos, bool Log, int Index)>();
        var order = new List<string>();
        foreach (var (text, family) in new[] { (v4, "ipv4"), (v6, "ipv6") })
        {
            var positions = new Dictionary<string, int>();
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.Trim();
                if (line.StartsWith(':'))
                {
                    var parts = line[1..].Split(' ');
                    chainsSeen.Add(parts[0]);
                    if (family == "ipv4" && parts.Length > 1)
                    {
                        var dir = parts[0] switch { "INPUT" => "in", "OUTPUT" => "out", "FORWARD" => "forward", _ => null };
                        if (dir is not null) policies[dir] = parts[1] == "ACCEPT" ? "accept" : "drop";
                    }
                    continue;
                }
                long? packets = null, bytes = null;
                if (line.StartsWith('['))
                {
                    var end = line.IndexOf(']');
                    var pb = line[1..end].Split(':');
                    packets = long.Parse(pb[0], CultureInfo.InvariantCulture);
                    bytes = long.Parse(pb[1], CultureInfo.InvariantCulture);
                    line = line[(end + 1)..].Trim();
                }
                if (!line.StartsWith("-A ", StringComparison.Ordinal)) continue;
                var tokens = Tokenize(line);
                var chain = tokens[1];
                var pos = positions.GetValueOrDefault(chain);
                positions[chain] = pos + 1;
                var rule = ParseRule(tokens, family, chain, pos, packets, bytes, line);
                if (rule.Comment == IptablesBackend.Jump || (rule.Native?.Contains("\"" + IptablesBackend.Jump + "\"") ?? false))
                {
                    if (family == "ipv4" && chain == "INPUT") active = true;
                    continue;
                }
                if (!rule.Managed) { rules.Add(rule); continue; }
                var isLog = line.Contains(" -j LOG", StringComparison.Ordinal);
                if (!managed.TryGetValue(rule.Id, out var m))
                {
                    m = (rule, [], [], false, order.Count);
                    order.Add(rule.Id);
                }
                if (!isLog && m.Rule.Action is null) m.Rule = rule with { Log = m.Log };
                else if (!isLog && m.Rule.Action is not null) m.Rule = m.Rule with { Packets = (m.Rule.Packets ?? 0) + (packets ?? 0), Bytes = (m.Rule.Bytes ?? 0) + (bytes ?? 0) };
                m.Families.Add(family);
                if (!isLog) m.Protos.Add(rule.Proto);
                if (isLog) m.Log = true;
                managed[rule.Id] = m;
            }
        }
        int idx = 0;
        foreach (var id in order)
        {
            var m = managed[id];
            var r = m.Rule;
            var fam = m.Families.Count == 2 && r.Source is null && r.Destination is null ? "any" : r.Family;
            var proto = m.Protos.Count == 2 && m.Protos.Contains("tcp") && m.Protos.Contains("udp") ? null : r.Proto;
            rules.Insert(Math.Min(idx++, rules.Count), r with { Family = fam, Proto = proto, Log = m.Log, Handle = null });
        }
        // Managed rules first, in chain order; then everything else.
        var ordered = rules.Where(r => r.Managed).Concat(rules.Where(r => !r.Managed)).ToList();
        return new FwState { Rules = ordered, Policies = policies, Active = active, Chains = chainsSeen };
    }

    static FwRule ParseRule(List<string> t, string family, string chain, int pos, long? packets, long? bytes, string line)
    {
        string? proto = null, src = null, dst = null, iface = null, action = null, rate = null, comment = null;
        var ports = new List<string>();
        bool partial = false;
        for (int i = 2; i < t.Count; i++)
        {
            var a = t[i];
            string Next() => i + 1 < t.Count ? t[++i] : "";
            switch (a)
            {
                case "-p": proto = Next() switch { "ipv6-icmp" or "icmpv6" => "icmpv6", "all" => null, var p => p }; break;
                case "-s": src = Trim32(Next()); break;
                case "-d": dst = Trim32(Next()); break;
                case "-i" or "-o": iface = Next(); break;
                case "-m": var mod = Next(); if (mod is not ("tcp" or "udp" or "comment" or "multiport" or "limit" or "icmp" or "icmp6")) partial = true; break;
                case "--dport": ports.Add(Next().Replace(':', '-')); break;
                case "--dports": ports.AddRange(Next().Split(',').Select(p => p.Replace(':', '-'))); break;
                case "--comment": comment = Next(); break;
                case "--limit": rate = Rate(Next()); break;
                case "--limit-burst": Next(); break;
                case "-j":
                    var target = Next();
                    action = target switch { "ACCEPT" => "accept", "DROP" => "drop", "REJECT" => "reject", _ => null };
                    if (target == "LOG") { action = null; }
                    else if (action is null) partial = true;
                    break;
                case "--reject-with" or "--log-prefix" or "--log-level": Next(); break;
                default: partial = true; break;
            }
        }
        var marker = RuleSpec.ParseMarker(comment);
        var managed = marker is not null && chain.StartsWith("RESH-", StringComparison.Ordinal);
        var direction = chain switch
        {
            "INPUT" or "RESH-INPUT" => "in",
            "OUTPUT" or "RESH-OUTPUT" => "out",
            "FORWARD" or "RESH-FORWARD" => "forward",
            _ => chain.Contains("output", StringComparison.OrdinalIgnoreCase) ? "out" : chain.Contains("forward", StringComparison.OrdinalIgnoreCase) ? "forward" : "in",
        };
        var id = managed ? marker!.Value.Id : $"{(family == "ipv4" ? "iptables" : "ip6tables")}:filter/{chain}/{pos + 1}";
        return new FwRule(id, managed, "iptables", family, "filter", chain, direction, proto, ports, src, dst, iface, action, rate,
            line.Contains(" -j LOG", StringComparison.Ordinal), marker is not null ? marker.Value.Comment : comment, packets, bytes, pos,
            (pos + 1).ToString(CultureInfo.InvariantCulture), line, partial);
    }

    /// <summary>A single host without its prefix (/32 for IPv4, /128 for IPv6); an IPv6 /32 is a network and keeps it.</summary>
    public static string Trim32(string a) => HostPrefix(a) ? a[..a.LastIndexOf('/')] : a;

    static bool HostPrefix(string a) => a.Contains(':') ? a.EndsWith("/128", StringComparison.Ordinal) : a.EndsWith("/32", StringComparison.Ordinal);

    static string Rate(string r)
    {
        var p = r.Split('/');
        var unit = p.Length > 1 ? p[1] switch { "sec" or "second" or "s" => "second", "min" or "minute" or "m" => "minute", "hour" or "h" => "hour", "day" or "d" => "day", var u => u } : "second";
        return $"{p[0]}/{unit}";
    }

    /// <summary>Splits an iptables-save line into words; double quotes group (comments), backslash escapes inside them.</summary>
    public static List<string> Tokenize(string line)
    {
        var list = new List<string>();
        var sb = new System.Text.StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '\\' && i + 1 < line.Length) { sb.Append(line[++i]); continue; }
                if (c == '"') { quoted = false; continue; }
                sb.Append(c);
            }
            else if (c == '"') { quoted = true; any = true; }
            else if (c == ' ')
            {
                if (sb.Length > 0 || any) { list.Add(sb.ToString()); sb.Clear(); any = false; }
            }
            else sb.Append(c);
        }
        if (sb.Length > 0 || any) list.Add(sb.ToString());
        return list;
    }
}
