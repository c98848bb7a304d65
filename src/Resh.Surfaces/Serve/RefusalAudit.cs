using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.Core.Audit;
using Resh.Core.Errors;

namespace Resh.Surfaces.Serve;

/// <summary>
/// Audit records of requests refused for their token (none, unknown, revoked, expired), without letting a flood grow
/// the trail (s37 attacker #4). Per caller and client address (an IPv6 client per /64), the first refusal of each
/// minute is one record (args.client); the others of that minute are counted and become one summary record
/// (args.coalesced = how many, args.client, args.first = when the minute began) when the minute is over, written at the
/// client's next refusal, by <see cref="Flush"/> (a timer of the server) or at shutdown. At most
/// <see cref="MaxClients"/> clients are tracked at once; more share one bucket (client "*"), so the trail grows by at
/// most two records a minute per tracked client plus two for the rest, whatever the request rate.
/// </summary>
public sealed class RefusalAudit(Action<AuditRecord> append)
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);
    public const int MaxClients = 4096;

    sealed class Entry
    {
        public DateTime Start;
        public long Suppressed;
        public string LastPath = "";
        public ErrorCode Code = ErrorCode.PermissionDenied;
    }

    readonly Lock _lock = new();
    readonly Dictionary<(string Caller, string Client), Entry> _entries = [];

    /// <summary>A refusal: written now when it is the first of its client's minute, else counted.</summary>
    public void Refused(string caller, IPAddress? address, string path, double durationMs, ErrorCode code = ErrorCode.PermissionDenied)
    {
        var client = ClientKey(address);
        var now = DateTime.UtcNow;
        AuditRecord? summary = null;
        bool record;
        lock (_lock)
        {
            var key = (caller, client);
            if (!_entries.TryGetValue(key, out var entry) && _entries.Count >= MaxClients)
            {
                key = (caller, "*");
                _entries.TryGetValue(key, out entry);
            }
            if (entry is null || now - entry.Start >= Window)
            {
                if (entry is { Suppressed: > 0 }) summary = Summary(key.Item1, key.Item2, entry);
                _entries[key] = new Entry { Start = now, LastPath = path, Code = code };
                record = true;
            }
            else
            {
                entry.Suppressed++;
                entry.LastPath = path;
                record = false;
            }
        }
        if (summary is not null) append(summary);
        if (record)
            append(new AuditRecord(0, "", caller, "rest", "", "", path, "", new JsonObject { ["client"] = client }, false,
                code.ToWire(), false, false, durationMs, ""));
    }

    /// <summary>Writes the summaries of minutes that are over (all of them with <paramref name="all"/>) and forgets idle clients.</summary>
    public void Flush(bool all)
    {
        var now = DateTime.UtcNow;
        var summaries = new List<AuditRecord>();
        lock (_lock)
        {
            foreach (var (key, entry) in _entries.ToArray())
            {
                if (!all && now - entry.Start < Window) continue;
                if (entry.Suppressed > 0) summaries.Add(Summary(key.Caller, key.Client, entry));
                _entries.Remove(key);
            }
        }
        foreach (var s in summaries) append(s);
    }

    static AuditRecord Summary(string caller, string client, Entry entry) =>
        new(0, "", caller, "rest", "", "", entry.LastPath, "", new JsonObject
        {
            ["client"] = client,
            ["coalesced"] = entry.Suppressed,
            ["first"] = entry.Start.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
        }, false, entry.Code.ToWire(), false, false, 0, "");

    /// <summary>How a client address is named in the audit trail and counted: IPv4 as is, an IPv6 client per /64.</summary>
    internal static string ClientKey(IPAddress? address)
    {
        if (address is null) return "?";
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4().ToString();
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address)) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
