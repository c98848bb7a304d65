using System.Globalization;
using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Firewall;

/// <summary>
/// ufw, through its own command line (so its files, IPv6 twin rules and status stay as ufw keeps them).
/// Rules are read from ufw's rule files (/etc/ufw/user.rules, user6.rules: one `### tuple ###` line per
/// rule, comments hex-encoded); resh's carry `comment 'resh:ID ...'`. ufw applies one command at a time,
/// so a change of several commands is made all-or-nothing by resh: when one fails, ufw's rule files and
/// default policies are put back as they were before the change and ufw reloads them.
/// </summary>
public sealed class UfwBackend : FirewallBackend
{
    readonly string _ufw = Require("ufw", "ufw");
    const string Dir4 = "/etc/ufw/user.rules";
    const string Dir6 = "/etc/ufw/user6.rules";
    const string Conf = "/etc/ufw/ufw.conf";
    const string Defaults = "/etc/default/ufw";

    public override string Name => "ufw";
    public override string Where => "ufw's user rules (ufw status numbered)";

    public override Task<FwState> ReadAsync(CancellationToken ct)
    {
        var v4 = ReadFile(Dir4);
        var v6 = ReadFile(Dir6);
        var conf = ReadFile(Conf);
        var defaults = ReadFile(Defaults);
        return Task.FromResult(UfwRules.Parse(v4, v6, conf, defaults));
    }

    static string ReadFile(string path)
    {
        try { return File.ReadAllText(path); }
        catch (FileNotFoundException) { return ""; }
        catch (DirectoryNotFoundException) { return ""; }
        catch (UnauthorizedAccessException) { throw ReshError.PermissionDenied($"Cannot read {path}.", "ufw's rules are readable by root only: run resh as root.").ToException(); }
    }

    public override NativePlan Plan(FwState current, DesiredState desired)
    {
        CheckMultiportSlots(desired, "ufw");
        var plan = new NativePlan();
        foreach (var (dir, pol) in desired.Policies)
        {
            if (current.Policies.GetValueOrDefault(dir, "accept") == pol) continue;
            var word = dir switch { "in" => "incoming", "out" => "outgoing", _ => "routed" };
            var p = pol switch { "accept" => "allow", "drop" => "deny", _ => "reject" };
            Add(plan, [_ufw, "default", p, word]);
        }
        // ufw keeps one rule per match (action aside): a second rule with the same match "updates" the first in
        // place, for one address family only (an allow then a deny of one port left IPv4 allowed). So one rule per
        // match is kept: the one being added now, which replaces the old one (deny after allow blocks both families).
        var existing = current.ManagedRules.Select(r => r.Id + "|" + r.Comment).ToHashSet(StringComparer.Ordinal);
        var chosen = desired.Rules.GroupBy(MatchKey).ToDictionary(g => g.Key, g => g.FirstOrDefault(r => !existing.Contains(r.Id + "|" + r.Comment)) ?? g.First());
        desired = desired with { Rules = desired.Rules.Where(r => ReferenceEquals(chosen[MatchKey(r)], r)).ToList() };
        var have = current.ManagedRules.ToList();
        var haveKeys = have.Select(r => r.Id + "|" + r.Comment).ToList();
        var wantKeys = desired.Rules.Select(r => r.Id + "|" + r.Comment).ToList();
        if (haveKeys.SequenceEqual(wantKeys)) return plan;
        var kept = wantKeys.Where(haveKeys.Contains).ToList();
        var reorder = !kept.SequenceEqual(haveKeys.Where(wantKeys.Contains));
        foreach (var r in have)
        {
            if (!reorder && wantKeys.Contains(r.Id + "|" + r.Comment)) continue;
            foreach (var argv in RuleArgs(RuleSpec.FromRule(r) ?? throw Partial(r), delete: true)) Add(plan, argv);
        }
        var others = current.Rules.Count(r => !r.Managed) + (reorder ? 0 : kept.Count);
        var top = new List<RuleSpec>();
        var bottom = new List<RuleSpec>();
        bool beforeKept = true;
        foreach (var s in desired.Rules)
        {
            var key = s.Id + "|" + s.Comment;
            if (!reorder && haveKeys.Contains(key)) { beforeKept = false; continue; }
            // Rules wanted ahead of every kept rule (deny/reject go first) are prepended; the rest appended.
            if (beforeKept && others > 0 && s.Action != "accept") top.Add(s); else bottom.Add(s);
        }
        // `ufw prepend`, not `insert 1`: ufw numbers IPv6 rules after every IPv4 one, so position 1 is invalid
        // for an IPv6-only rule; prepend puts each address family's rule first among that family's rules.
        for (int i = top.Count - 1; i >= 0; i--)
            foreach (var argv in RuleArgs(top[i], delete: false, prepend: true)) Add(plan, argv);
        foreach (var s in bottom)
            foreach (var argv in RuleArgs(s, delete: false)) Add(plan, argv);
        return plan;
    }

    static string MatchKey(RuleSpec s) =>
        string.Join('|', s.Family, s.Direction, s.Iface ?? "", s.Proto ?? "", s.Source ?? "", s.Destination ?? "", string.Join(',', s.Ports));

    static ReshException Partial(FwRule r) =>
        ReshError.Unsupported($"resh's rule {r.Id} in ufw no longer matches what resh wrote; remove it with ufw itself.", null).ToException();

    void Add(NativePlan plan, IReadOnlyList<string> argv)
    {
        plan.Display.Add(string.Join(' ', argv.Select(Quote)));
        plan.Steps.Add(ct => RunAsync(argv, null, ct));
    }

    static string Quote(string a) => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@".Contains(c)) ? a : "'" + a + "'";

    /// <summary>ufw argv for a spec: one command, or one per protocol when several ports need tcp and udp spelled out.</summary>
    public List<IReadOnlyList<string>> RuleArgs(RuleSpec s, bool delete, bool prepend = false)
    {
        if (s.Direction == "forward") throw ReshError.Unsupported("Forwarded traffic is not managed through ufw by resh.", "Use backend=nftables or iptables, or ufw route.").ToException();
        if (s.RateLimit is not null) throw ReshError.Unsupported("ufw has no rate limit other than its fixed `limit` (6 per 30 s).", "Drop rate_limit, or use backend=nftables.").ToException();
        if (s.Proto is "icmp" or "icmpv6") throw ReshError.Unsupported("ufw cannot match ICMP by a rule.", "Use backend=nftables.").ToException();
        var protos = s.Proto is null && s.Ports.Count > 1 ? new string?[] { "tcp", "udp" } : [s.Proto];
        var list = new List<IReadOnlyList<string>>();
        foreach (var proto in protos)
        {
            var a = new List<string> { _ufw };
            if (delete) a.Add("delete");
            else if (prepend) a.Add("prepend");
            a.Add(s.Action switch { "accept" => "allow", "drop" => "deny", _ => "reject" });
            if (s.Log) a.Add("log");
            a.Add(s.Direction);
            if (s.Iface is not null) { a.Add("on"); a.Add(s.Iface); }
            if (proto is not null) { a.Add("proto"); a.Add(proto); }
            var any = s.Family switch { "ipv4" => "0.0.0.0/0", "ipv6" => "::/0", _ => "any" };
            a.Add("from"); a.Add(s.Source ?? any);
            a.Add("to"); a.Add(s.Destination ?? any);
            if (s.Ports.Count > 0) { a.Add("port"); a.Add(string.Join(',', s.Ports.Select(p => p.Replace('-', ':')))); }
            if (!delete) { a.Add("comment"); a.Add(s.MarkedComment); }
            list.Add(a);
        }
        return list;
    }

    /// <summary>
    /// Runs the plan's ufw commands in order; when one fails (or the call is interrupted) after others ran,
    /// ufw's rule files and default policies are restored as they were and ufw reloads them, so a change is
    /// all or nothing. The error then says so (details.rolled_back).
    /// </summary>
    public override async Task ExecuteAsync(NativePlan plan, CancellationToken ct)
    {
        var files = new[] { Dir4, Dir6 }.ToDictionary(p => p, ReadFile);
        var before = UfwRules.Parse("", "", ReadFile(Conf), ReadFile(Defaults));
        int done = 0;
        try
        {
            foreach (var step in plan.Steps)
            {
                await step(ct).ConfigureAwait(false);
                done++;
            }
        }
        catch (Exception e) when (done > 0 && e is ReshException or OperationCanceledException)
        {
            string? undoError = null;
            try { await RestoreAsync(files, before).ConfigureAwait(false); }
            catch (ReshException u) { undoError = u.Error.Message; }
            catch (IOException u) { undoError = u.Message; }
            if (e is OperationCanceledException) throw;
            var err = ((ReshException)e).Error;
            var details = err.Details is null ? new System.Text.Json.Nodes.JsonObject() : (System.Text.Json.Nodes.JsonObject)err.Details.DeepClone();
            details["commands_run"] = done;
            details["rolled_back"] = undoError is null;
            if (undoError is not null) details["rollback_error"] = undoError;
            throw (err with
            {
                Message = err.Message + (undoError is null
                    ? $" The {done} ufw command(s) of this change that had run were undone (rule files and defaults restored, ufw reloaded)."
                    : $" Undoing the {done} ufw command(s) that had run also failed: {undoError}"),
                Details = details,
            }).ToException();
        }
    }

    /// <summary>Puts ufw's rule files and default policies back and reloads ufw (when it is enabled).</summary>
    async Task RestoreAsync(Dictionary<string, string> files, FwState before)
    {
        foreach (var (path, text) in files)
        {
            if (ReadFile(path) == text) continue;
            var mode = File.Exists(path) ? File.GetUnixFileMode(path) : (UnixFileMode)0x1A0; // 0640, as ufw keeps them
            Resh.Core.Platform.AtomicFile.Write(path, Encoding.UTF8.GetBytes(text), mode);
        }
        var now = UfwRules.Parse("", "", ReadFile(Conf), ReadFile(Defaults));
        foreach (var (dir, pol) in before.Policies)
        {
            if (now.Policies.GetValueOrDefault(dir) == pol) continue;
            var word = dir switch { "in" => "incoming", "out" => "outgoing", _ => "routed" };
            await RunAsync([_ufw, "default", pol switch { "accept" => "allow", "drop" => "deny", _ => "reject" }, word], null, CancellationToken.None).ConfigureAwait(false);
        }
        if (now.Active) await RunAsync([_ufw, "reload"], null, CancellationToken.None).ConfigureAwait(false);
    }

    public override Task<string> SaveNativeAsync(CancellationToken ct) =>
        Task.FromResult($"# {Dir4}\n{ReadFile(Dir4)}\n# {Dir6}\n{ReadFile(Dir6)}");

    public override NativePlan RestoreNative(string content) =>
        throw ReshError.Unsupported("ufw's rule files are restored by ufw itself; resh restores ufw from its JSON format.", "Save with format=json and restore that.").ToException();

    public override Task<NativePlan> SetActiveAsync(FwState current, bool active, CancellationToken ct)
    {
        var plan = new NativePlan();
        if (active != current.Active) Add(plan, active ? [_ufw, "--force", "enable"] : [_ufw, "disable"]);
        return Task.FromResult(plan);
    }
}

/// <summary>ufw's rule files and settings, read.</summary>
public static class UfwRules
{
    public static FwState Parse(string v4, string v6, string conf, string defaults)
    {
        var rules = new List<FwRule>();
        var managed = new Dictionary<string, int>();
        int number = 0;
        foreach (var (text, family) in new[] { (v4, "ipv4"), (v6, "ipv6") })
        {
            foreach (var raw in text.Split('\n'))
            {
                if (!raw.StartsWith("### tuple ### ", StringComparison.Ordinal)) continue;
                number++;
                var r = Tuple(raw["### tuple ### ".Length..].Trim(), family, number);
                if (r is null) continue;
                if (r.Managed && managed.TryGetValue(r.Id, out var at))
                {
                    var prev = rules[at];
                    var fam = prev.Family != r.Family && prev.Source is null && prev.Destination is null ? "any" : prev.Family;
                    var proto = prev.Proto != r.Proto && prev.Proto is "tcp" or "udp" && r.Proto is "tcp" or "udp" ? null : prev.Proto;
                    rules[at] = prev with { Family = fam, Proto = proto };
                    continue;
                }
                if (r.Managed) managed[r.Id] = rules.Count;
                rules.Add(r);
            }
        }
        var policies = new Dictionary<string, string>();
        foreach (var line in defaults.Split('\n'))
        {
            var kv = line.Trim().Split('=', 2);
            if (kv.Length != 2) continue;
            var v = kv[1].Trim('"').ToLowerInvariant() switch { "accept" => "accept", "reject" => "reject", _ => "drop" };
            switch (kv[0])
            {
                case "DEFAULT_INPUT_POLICY": policies["in"] = v; break;
                case "DEFAULT_OUTPUT_POLICY": policies["out"] = v; break;
                case "DEFAULT_FORWARD_POLICY": policies["forward"] = v; break;
            }
        }
        var active = conf.Split('\n').Any(l => l.Trim().Equals("ENABLED=yes", StringComparison.OrdinalIgnoreCase));
        return new FwState { Rules = rules, Policies = policies, Active = active };
    }

    /// <summary>`ACTION PROTO DPORT DST SPORT SRC DIR[_IFACE] [comment=HEX]`, as ufw writes it.</summary>
    static FwRule? Tuple(string t, string family, int number)
    {
        var f = t.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 7) return null;
        var act = f[0];
        var log = act.Contains("_log", StringComparison.Ordinal);
        var baseAct = act.Split('_')[0];
        string? action = baseAct switch { "allow" => "accept", "deny" => "drop", "reject" => "reject", _ => null };
        var partial = action is null || f[4] != "any";
        var proto = f[1] == "any" ? null : f[1];
        var ports = f[2] == "any" ? new List<string>() : f[2].Split(',').Select(p => p.Replace(':', '-')).ToList();
        string? Addr(string a) => a is "0.0.0.0/0" or "::/0" or "any" ? null : IptablesSave.Trim32(a);
        var dirIface = f[6].Split('_', 2);
        string? comment = null;
        for (int i = 7; i < f.Length; i++)
            if (f[i].StartsWith("comment=", StringComparison.Ordinal))
            {
                try { comment = Encoding.UTF8.GetString(Convert.FromHexString(f[i][8..])); } catch (FormatException) { }
            }
        var marker = RuleSpec.ParseMarker(comment);
        var n = number.ToString(CultureInfo.InvariantCulture);
        return new FwRule(marker?.Id ?? "ufw:" + n, marker is not null, "ufw", family, null, null, dirIface[0] == "out" ? "out" : "in", proto, ports,
            Addr(f[5]), Addr(f[3]), dirIface.Length > 1 ? dirIface[1] : null, action, baseAct == "limit" ? "6/30s" : null, log,
            marker is not null ? marker.Value.Comment : comment, null, null, number - 1, n, t, partial);
    }
}
