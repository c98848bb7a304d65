using System.Globalization;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.Firewall;

/// <summary>Opening the right backend, and the one way every change is applied: guard, plan, dry-run, confirm window, apply.</summary>
public static class FirewallFlow
{
    public static readonly Arg<string?> BackendArg = Arg.Enum("backend", "nftables, iptables, ufw, firewalld, or auto (firewalld if running, ufw if enabled, else nftables, else iptables).",
        ["auto", "nftables", "iptables", "ufw", "firewalld"], "auto");
    public static readonly Arg<TimeSpan?> Confirm = Arg.Duration("confirm", "Roll the change back automatically after this long unless firewall://.confirm is called (commit-confirmed).",
        examples: ["60s", "5m"]);
    public static readonly Arg<bool> Force = Arg.Bool("force", "Apply even if the change would cut off the SSH session resh runs under.");

    public static (FirewallBackend Backend, string DetectedBy) Open(VerbContext ctx)
    {
        if (ctx.Target.Length > 0 && ctx.Verb.Name != "rules.delete")
            throw ReshError.Usage($"firewall:// takes no target for {ctx.Verb.Name}.", $"Write firewall://.{ctx.Verb.Name}(...)").ToException();
        return Open(ctx.Get(BackendArg) ?? "auto");
    }

    public static (FirewallBackend Backend, string DetectedBy) Open(string choice)
    {
        if (choice != "auto") return (Create(choice), "backend=" + choice);
        if (FirewalldRunning()) return (new FirewalldBackend(), "firewalld is running");
        if (ProcessRunner.Which("ufw") is not null && UfwEnabled()) return (new UfwBackend(), "ufw is enabled (/etc/ufw/ufw.conf)");
        if (ProcessRunner.Which("nft") is not null) return (new NftBackend(), "nft is installed");
        if (ProcessRunner.Which("iptables-restore") is not null) return (new IptablesBackend(), "iptables is installed (no nft)");
        throw ReshError.Unavailable("No firewall tool found (nft, iptables, ufw, firewall-cmd).", "Install nftables.").ToException();
    }

    public static FirewallBackend Create(string name) => name switch
    {
        "nftables" => new NftBackend(),
        "iptables" => new IptablesBackend(),
        "ufw" => new UfwBackend(),
        "firewalld" => new FirewalldBackend(),
        _ => throw ReshError.Usage($"Unknown firewall backend {name}.", null).ToException(),
    };

    static bool UfwEnabled()
    {
        try { return File.ReadLines("/etc/ufw/ufw.conf").Any(l => l.Trim().Equals("ENABLED=yes", StringComparison.OrdinalIgnoreCase)); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>A firewalld process in this network namespace, and a system bus to reach it.</summary>
    static bool FirewalldRunning()
    {
        if (ProcessRunner.Which("firewall-cmd") is null || !File.Exists("/run/dbus/system_bus_socket")) return false;
        string? ownNet;
        try { ownNet = new FileInfo("/proc/self/ns/net").LinkTarget; } catch (IOException) { return false; }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (!cmd.Contains("firewalld", StringComparison.Ordinal) || cmd.Contains("firewall-cmd", StringComparison.Ordinal)) continue;
                if (!cmd.Split('\0').Take(3).Any(a => a.EndsWith("/firewalld", StringComparison.Ordinal) || a == "firewalld")) continue;
                if (new FileInfo(Path.Combine(dir, "ns/net")).LinkTarget == ownNet) return true;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return false;
    }

    /// <summary>Changes need root (CAP_NET_ADMIN); a dry run only reads.</summary>
    public static void RequireRoot(VerbContext ctx)
    {
        if (LibC.GetEUid() != 0 && !ctx.DryRun)
            throw ReshError.PermissionDenied("Changing the firewall needs root (CAP_NET_ADMIN).", "Run resh as root; --dry-run previews without changing anything.").ToException();
    }

    public static string Describe(IEnumerable<RuleSpec> rules, IReadOnlyDictionary<string, string> policies)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in policies.OrderBy(p => p.Key, StringComparer.Ordinal)) sb.Append(CultureInfo.InvariantCulture, $"policy {k} {v}\n");
        foreach (var r in rules) sb.Append(r.Id).Append(' ').Append(r.Describe()).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// The one path of every change: refuse a lock-out, plan the native commands, stop there under
    /// --dry-run, otherwise (with confirm=) record what to roll back to and start the timer, then apply.
    /// </summary>
    public static async Task<Outcome<FwChangeResult>> ApplyAsync(VerbContext ctx, FirewallBackend backend, FwState current, DesiredState desired,
        string action, IReadOnlyList<FwRule> affected, bool force)
    {
        var plan = backend.Plan(current, desired);
        var policies = new Dictionary<string, string>(current.Policies);
        foreach (var (k, v) in desired.Policies) policies[k] = v;
        var diff = Diff.Unified(Describe(current.Managed, current.Policies), Describe(desired.Rules, policies), "resh-rules");
        if (plan.IsEmpty) return new FwChangeResult(backend.Name, "none", affected, [], null, null);
        if (backend is NftBackend && FirewallStateStore.LoadDisabled(backend.Name) is not null)
            throw ReshError.Conflict("resh's rules are switched off (firewall://.disable): a change now would replace the rules set aside.",
                "Run firewall://.enable first, then make the change.").ToException();
        LockoutGuard.Check(current, desired, force);
        var confirm = ctx.Get(Confirm);
        PendingState? open;
        using (FirewallStateStore.Lock(backend.Name)) open = FirewallStateStore.LoadPending(backend.Name); // a rollback running now finishes first
        if (open is not null)
        {
            // Its rollback restores the rules as they were before it: a later change would silently go with it.
            if (confirm is null)
                throw ReshError.Conflict($"A change made with confirm= ({open.Id}) is waiting for firewall://.confirm; its rollback would also undo this change.",
                    "Run firewall://.confirm (or firewall://.rollback) first, or pass confirm= to make this change part of the pending one.",
                    new System.Text.Json.Nodes.JsonObject { ["pending"] = open.Id }).ToException();
            ctx.Warn($"This change joins the pending change {open.Id}: a rollback returns to the rules before both.");
        }
        if (ctx.DryRun) return Outcome.Changed(new FwChangeResult(backend.Name, action, affected, plan.Display, diff, null));
        PendingInfo? pending = null;
        if (confirm is { } window) pending = PendingChanges.Begin(backend, current, window);
        try
        {
            await backend.ExecuteAsync(plan, ctx.Cancellation).ConfigureAwait(false);
        }
        catch
        {
            if (pending is not null) PendingChanges.Abandon(backend.Name, pending.Id);
            throw;
        }
        return Outcome.Changed(new FwChangeResult(backend.Name, action, affected, plan.Display, diff, pending));
    }
}
