using Resh.Core.Model;

namespace Resh.Handles.Firewall;

/// <summary>firewall:// — one rule model over nftables, iptables, ufw and firewalld, with lock-out protection.</summary>
public static class FirewallHandle
{
    public static HandleInfo Create() => new("firewall",
        "Firewall rules over nftables, iptables, ufw or firewalld: list, allow/deny/reject, add/delete, policies, apply a whole set, save/restore, commit-confirmed changes.",
        "Empty (firewall://.allow(port=443)); a rule id for rules.delete (firewall://r1a2b3c4d.rules.delete).",
        [
            FirewallStatus.Verb,
            FirewallRulesList.Verb,
            FirewallEveryday.Allow,
            FirewallEveryday.Deny,
            FirewallEveryday.Reject,
            FirewallRulesAdd.Verb,
            FirewallRulesDelete.Verb,
            FirewallPolicySet.Verb,
            FirewallApply.Verb,
            FirewallSave.Verb,
            FirewallRestore.Verb,
            FirewallToggle.Enable,
            FirewallToggle.Disable,
            FirewallConfirm.Verb,
            FirewallRollback.Verb,
        ])
    {
        Notes = "resh keeps its rules apart and marked, and changes only those unless asked: nftables in its own table `inet resh` (base chains at priority -10, "
            + "applied as one `nft -f` transaction), iptables in chains RESH-INPUT/OUTPUT/FORWARD jumped to first (one iptables-restore per family), ufw rules with comment `resh:ID`, "
            + "firewalld rich rules in the default zone (runtime and permanent). Every rule has an id computed from its fields, so the same call twice is `changed: false`. "
            + "Lock-out protection: confirm=60s applies a change and starts a detached timer that restores the previous rules unless firewall://.confirm is called in time; "
            + "and a change that would drop the SSH session resh runs under (SSH_CONNECTION, also found through sudo) is refused without force=true. "
            + "An accept in resh's nftables table does not override a drop in another table: nftables evaluates every base chain.",
    };
}
