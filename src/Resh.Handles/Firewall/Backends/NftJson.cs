using System.Globalization;
using System.Text.Json;

namespace Resh.Handles.Firewall;

/// <summary>Maps `nft -j list ruleset` to resh's rule model: every rule of every table, resh's own marked as managed.</summary>
public static class NftJson
{
    public static FwState Parse(string json)
    {
        var rules = new List<FwRule>();
        var policies = new Dictionary<string, string>();
        var hooks = new Dictionary<(string, string, string), string?>();
        bool active = false;
        var positions = new Dictionary<(string, string, string), int>();
        using var doc = JsonDocument.Parse(json);
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (item.TryGetProperty("table", out var t))
            {
                if (Str(t, "family") == "inet" && Str(t, "name") == NftBackend.Table) active = true;
            }
            else if (item.TryGetProperty("chain", out var c))
            {
                var key = (Str(c, "family") ?? "", Str(c, "table") ?? "", Str(c, "name") ?? "");
                hooks[key] = Str(c, "hook");
                if (key.Item1 == "inet" && key.Item2 == NftBackend.Table && Str(c, "policy") is { } pol)
                {
                    var dir = Str(c, "hook") switch { "input" => "in", "output" => "out", "forward" => "forward", _ => null };
                    if (dir is not null) policies[dir] = pol;
                }
            }
            else if (item.TryGetProperty("rule", out var r))
            {
                var fam = Str(r, "family") ?? "";
                var table = Str(r, "table") ?? "";
                var chain = Str(r, "chain") ?? "";
                var key = (fam, table, chain);
                var pos = positions.GetValueOrDefault(key);
                positions[key] = pos + 1;
                rules.Add(Rule(r, fam, table, chain, hooks.GetValueOrDefault(key), pos));
            }
        }
        foreach (var d in FirewallBackend.Directions) if (active && !policies.ContainsKey(d)) policies[d] = "accept";
        return new FwState { Rules = rules, Policies = policies, Active = active };
    }

    static FwRule Rule(JsonElement r, string fam, string table, string chain, string? hook, int pos)
    {
        var handle = r.TryGetProperty("handle", out var h) ? h.GetInt64().ToString(CultureInfo.InvariantCulture) : null;
        var comment = Str(r, "comment");
        var marker = RuleSpec.ParseMarker(comment);
        string family = fam switch { "ip" => "ipv4", "ip6" => "ipv6", _ => "any" };
        string direction = hook switch
        {
            "input" => "in", "output" => "out", "forward" => "forward",
            _ => chain.Contains("out", StringComparison.OrdinalIgnoreCase) ? "out" : chain.Contains("forward", StringComparison.OrdinalIgnoreCase) ? "forward" : "in",
        };
        string? proto = null, src = null, dst = null, iface = null, action = null, rate = null;
        var ports = new List<string>();
        bool log = false, partial = fam is not ("ip" or "ip6" or "inet");
        long? packets = null, bytes = null;
        if (r.TryGetProperty("expr", out var exprs))
        {
            foreach (var e in exprs.EnumerateArray())
            {
                var prop = e.EnumerateObject().FirstOrDefault();
                switch (prop.Name)
                {
                    case "match":
                        if (!Match(prop.Value, ref family, ref proto, ports, ref src, ref dst, ref iface)) partial = true;
                        break;
                    case "counter":
                        if (prop.Value.ValueKind == JsonValueKind.Object)
                        {
                            packets = prop.Value.TryGetProperty("packets", out var pk) ? pk.GetInt64() : null;
                            bytes = prop.Value.TryGetProperty("bytes", out var by) ? by.GetInt64() : null;
                        }
                        break;
                    case "limit":
                        if (prop.Value.TryGetProperty("rate", out var rt) && rt.ValueKind == JsonValueKind.Number)
                            rate = $"{rt.GetInt64()}/{Str(prop.Value, "per") ?? "second"}";
                        else partial = true;
                        break;
                    case "log": log = true; break;
                    case "accept": action = "accept"; break;
                    case "drop": action = "drop"; break;
                    case "reject": action = "reject"; break;
                    default: partial = true; break;
                }
            }
        }
        var managed = marker is not null && fam == "inet" && table == NftBackend.Table;
        var id = managed ? marker!.Value.Id : $"nft:{fam}/{table}/{chain}/{handle}";
        var userComment = marker is not null ? marker.Value.Comment : comment;
        var native = r.TryGetProperty("expr", out var ex) ? ex.GetRawText() : null;
        if (action is null) partial = true;
        return new FwRule(id, managed, "nftables", family, $"{fam} {table}", chain, direction, proto, ports, src, dst, iface, action, rate, log, userComment,
            packets, bytes, pos, handle, native, partial);
    }

    static bool Match(JsonElement m, ref string family, ref string? proto, List<string> ports, ref string? src, ref string? dst, ref string? iface)
    {
        if (Str(m, "op") is not ("==" or "in")) return false;
        if (!m.TryGetProperty("left", out var left) || !m.TryGetProperty("right", out var right)) return false;
        if (left.TryGetProperty("meta", out var meta))
        {
            switch (Str(meta, "key"))
            {
                case "l4proto":
                    if (right.ValueKind == JsonValueKind.String)
                    {
                        proto = right.GetString() == "ipv6-icmp" ? "icmpv6" : right.GetString();
                        if (proto == "icmp") family = "ipv4";
                        if (proto == "icmpv6") family = "ipv6";
                        return proto is "tcp" or "udp" or "icmp" or "icmpv6";
                    }
                    if (right.TryGetProperty("set", out var set))
                    {
                        var names = set.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : null).ToList();
                        if (names.Count == 2 && names.Contains("tcp") && names.Contains("udp")) { proto = null; return true; }
                    }
                    return false;
                case "nfproto":
                    if (right.ValueKind == JsonValueKind.String && right.GetString() is "ipv4" or "ipv6") { family = right.GetString()!; return true; }
                    return false;
                case "iifname" or "oifname" or "iif" or "oif": // iif/oif match the interface's index; nft shows its name
                    if (right.ValueKind == JsonValueKind.String) { iface = right.GetString(); return true; }
                    return false;
            }
            return false;
        }
        if (left.TryGetProperty("payload", out var payload))
        {
            var protocol = Str(payload, "protocol");
            var field = Str(payload, "field");
            if (field == "dport" && protocol is "tcp" or "udp" or "th")
            {
                if (protocol != "th") proto = protocol;
                return Ports(right, ports);
            }
            if (field is "saddr" or "daddr" && protocol is "ip" or "ip6")
            {
                family = protocol == "ip" ? "ipv4" : "ipv6";
                var addr = Address(right);
                if (addr is null) return false;
                if (field == "saddr") src = addr; else dst = addr;
                return true;
            }
        }
        return false;
    }

    static bool Ports(JsonElement right, List<string> ports)
    {
        switch (right.ValueKind)
        {
            case JsonValueKind.Number: ports.Add(right.GetInt32().ToString(CultureInfo.InvariantCulture)); return true;
            case JsonValueKind.Object when right.TryGetProperty("set", out var set):
                foreach (var x in set.EnumerateArray()) if (!Ports(x, ports)) return false;
                return true;
            case JsonValueKind.Object when right.TryGetProperty("range", out var range):
                var a = range.EnumerateArray().ToList();
                if (a.Count != 2 || a[0].ValueKind != JsonValueKind.Number || a[1].ValueKind != JsonValueKind.Number) return false;
                ports.Add($"{a[0].GetInt32()}-{a[1].GetInt32()}");
                return true;
        }
        return false;
    }

    static string? Address(JsonElement right)
    {
        if (right.ValueKind == JsonValueKind.String) return right.GetString();
        if (right.ValueKind == JsonValueKind.Object && right.TryGetProperty("prefix", out var pre))
            return $"{Str(pre, "addr")}/{pre.GetProperty("len").GetInt32()}";
        return null;
    }

    static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
