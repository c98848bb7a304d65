using System.Text.Json;
using Resh.Core.Config;
using Resh.Core.Platform;

namespace Resh.Handles.Firewall;

/// <summary>resh's firewall rules and policies in its own JSON form: what save writes, restore reads, and a rollback returns to.</summary>
public sealed record FirewallSnapshot(string Backend, IReadOnlyList<RuleSpec> Rules, Dictionary<string, string> Policies)
{
    public IReadOnlyList<RuleSpec> Specs() => Rules;
}

/// <summary>A change applied with confirm=: what to return to, and when.</summary>
public sealed record PendingState(string Id, string Backend, long CreatedUnix, long DeadlineUnix, int? TimerPid, FirewallSnapshot Snapshot);

/// <summary>
/// Files under the state directory (SPEC §7)/firewall. Each firewall is keyed by its backend and by the
/// network namespace resh runs in, so a pending change in one network namespace never touches another's.
/// </summary>
public static class FirewallStateStore
{
    static string Dir => ReshPaths.FromEnvironment().StateSubdir("firewall");

    public static string NamespaceKey
    {
        get
        {
            static string Inode(string link)
            {
                try
                {
                    var t = new FileInfo(link).LinkTarget ?? "";
                    var open = t.IndexOf('[');
                    return open >= 0 ? t[(open + 1)..].TrimEnd(']') : "0";
                }
                catch (IOException) { return "0"; }
                catch (UnauthorizedAccessException) { return "0"; }
            }
            // The network namespace only: `ip netns exec` gives every call a fresh mount namespace.
            return Inode("/proc/self/ns/net");
        }
    }

    public static string PendingPath(string backend) => Path.Combine(Dir, $"pending-{backend}-{NamespaceKey}.json");
    static string DisabledPath(string backend) => Path.Combine(Dir, $"disabled-{backend}-{NamespaceKey}.json");
    static string FirewalldPath(string zone) => Path.Combine(Dir, $"firewalld-{zone}-{NamespaceKey}.json");

    public static PendingState? LoadPending(string backend) => Load(PendingPath(backend), FirewallJson.Default.PendingState);
    public static void SavePending(PendingState p) => Save(PendingPath(p.Backend), p, FirewallJson.Default.PendingState);
    public static void DeletePending(string backend) => Delete(PendingPath(backend));

    public static void SaveDisabled(FirewallSnapshot s) => Save(DisabledPath(s.Backend), s, FirewallJson.Default.FirewallSnapshot);

    /// <summary>The rules kept aside by disable; read only (a dry run of enable must not lose them).</summary>
    public static FirewallSnapshot? LoadDisabled(string backend) => Load(DisabledPath(backend), FirewallJson.Default.FirewallSnapshot);

    /// <summary>Called once enable has really put the kept rules back.</summary>
    public static void DeleteDisabled(string backend) => Delete(DisabledPath(backend));

    public static Dictionary<string, FirewalldEntry> LoadFirewalld(string zone)
    {
        var snap = Load(FirewalldPath(zone), FirewallJson.Default.FirewallSnapshot);
        var map = new Dictionary<string, FirewalldEntry>();
        if (snap is null) return map;
        foreach (var s in snap.Rules) map[s.Id] = new FirewalldEntry(s, FirewalldBackend.RichRules(s));
        return map;
    }

    public static void SaveFirewalld(string zone, Dictionary<string, FirewalldEntry> entries) =>
        Save(FirewalldPath(zone), new FirewallSnapshot("firewalld", entries.Values.Select(e => e.Spec).ToList(), []), FirewallJson.Default.FirewallSnapshot);

    static T? Load<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try { return JsonSerializer.Deserialize(File.ReadAllBytes(path), type); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        catch (JsonException) { return null; }
    }

    static void Save<T>(string path, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(value, type), (UnixFileMode)0x180);

    static void Delete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>An exclusive lock around pending-change files (confirm vs. the rollback timer); the lock file is made 0600.</summary>
    public static IDisposable Lock(string backend)
    {
        var path = Path.Combine(Dir, $"lock-{backend}-{NamespaceKey}");
        for (int i = 0; ; i++)
        {
            try { return new FileStream(path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }); }
            catch (IOException) when (i < 200) { Thread.Sleep(25); }
        }
    }
}
