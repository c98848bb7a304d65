using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Agent;

/// <summary>
/// The agent protocol on NATS (docs/agent.md). Discovery: a request on <see cref="DiscoverSubject"/>
/// <c>{"filter": F}</c>; each agent whose facts match answers <c>{"host", "facts"}</c> to the reply inbox. A call: one
/// message on <see cref="CallSubject"/> <c>{"payload": BASE64, "sig": BASE64}</c>, where payload is the request's
/// canonical JSON (keys in a fixed order, no spaces: v, id, caller, issued, expires, hosts, filter, reply, stage, verb,
/// args, dry_run)
/// and sig the caller's Ed25519 signature over exactly those bytes; each named agent answers
/// <c>{"id", "host", "envelope"}</c> to the reply inbox.
/// </summary>
public static class AgentWire
{
    public const string DiscoverSubject = "resh.agent.discover";
    public const string CallSubject = "resh.agent.call";
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);
    public const int MaxHosts = 100_000;

    /// <summary>
    /// A call. Filter (the caller's agent filter) and Reply (the inbox its answers go to) are signed too: an agent runs a
    /// call only when its own facts match the filter, so an unsigned discovery answer cannot add a host the filter does
    /// not select, and it answers only to the signed inbox, so a replayed message cannot send an answer elsewhere.
    /// </summary>
    public sealed record Request(string Id, string Caller, DateTime Issued, DateTime Expires, IReadOnlyList<string> Hosts,
        string Filter, string Reply, string Stage, string? Verb, JsonObject Args, bool DryRun);

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static bool ValidId(string id) => id.Length == 32 && id.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public static bool ValidWord(string s) => s.Length is > 0 and <= 64 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public static bool ValidHost(string s) => s.Length is > 0 and <= 253 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    internal static string Time(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Where a signed message's validity window stands: the one rule for calls and cancels.</summary>
    public enum Window { Ok, TooLong, Future, Expired }

    public static Window WindowOf(DateTime issued, DateTime expires, DateTime now) =>
        expires - issued > MaxLifetime || expires < issued ? Window.TooLong
        : issued > now + Skew ? Window.Future
        : now > expires + Skew ? Window.Expired
        : Window.Ok;

    /// <summary>The canonical bytes of a request: what is signed and what the agent verifies, byte for byte.</summary>
    public static byte[] Canonical(Request r)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteNumber("v", 1);
            w.WriteString("id", r.Id);
            w.WriteString("caller", r.Caller);
            w.WriteString("issued", Time(r.Issued));
            w.WriteString("expires", Time(r.Expires));
            w.WriteStartArray("hosts");
            foreach (var h in r.Hosts) w.WriteStringValue(h);
            w.WriteEndArray();
            w.WriteString("filter", r.Filter);
            w.WriteString("reply", r.Reply);
            w.WriteString("stage", r.Stage);
            if (r.Verb is null) w.WriteNull("verb"); else w.WriteString("verb", r.Verb);
            w.WritePropertyName("args");
            r.Args.WriteTo(w);
            w.WriteBoolean("dry_run", r.DryRun);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The message published on <see cref="CallSubject"/>.</summary>
    public static byte[] Signed(Request r, byte[] seed)
    {
        var payload = Canonical(r);
        var sig = AgentKeys.Sign(seed, payload);
        return Encoding.UTF8.GetBytes(new JsonObject { ["payload"] = Convert.ToBase64String(payload), ["sig"] = Convert.ToBase64String(sig) }.ToJsonString());
    }

    /// <summary>A call message split into its signed bytes and signature, or why it is not one.</summary>
    public static (byte[] Payload, byte[] Sig)? Open(ReadOnlySpan<byte> message, out string? why)
    {
        why = null;
        try
        {
            var reader = new Utf8JsonReader(message);
            if (JsonNode.Parse(ref reader) is not JsonObject o || o["payload"] is not JsonValue p || p.GetValueKind() != JsonValueKind.String
                || o["sig"] is not JsonValue s || s.GetValueKind() != JsonValueKind.String || o.Count != 2)
            {
                why = "not {payload, sig}";
                return null;
            }
            return (Convert.FromBase64String(p.GetValue<string>()), Convert.FromBase64String(s.GetValue<string>()));
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            why = "not JSON with base64 payload and sig";
            return null;
        }
    }

    /// <summary>The request in signed bytes (after the signature was checked), or null when it is not one.</summary>
    public static Request? Parse(byte[] payload)
    {
        try
        {
            if (JsonNode.Parse(payload) is not JsonObject o) return null;
            if (o["v"] is not JsonValue v || !v.TryGetValue<int>(out var version) || version != 1) return null;
            string? S(string k) => o[k] is JsonValue x && x.GetValueKind() == JsonValueKind.String ? x.GetValue<string>() : null;
            var id = S("id");
            var caller = S("caller");
            var stage = S("stage");
            var verb = S("verb");
            var filter = S("filter");
            var reply = S("reply");
            if (id is null || caller is null || stage is null || filter is null || reply is null || (verb is null && o["verb"] is not null)) return null;
            if (!DateTime.TryParse(S("issued"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var issued)) return null;
            if (!DateTime.TryParse(S("expires"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var expires)) return null;
            if (o["hosts"] is not JsonArray ha || ha.Count > MaxHosts || !ha.All(n => n is JsonValue hv && hv.GetValueKind() == JsonValueKind.String)) return null;
            if (o["args"] is not JsonObject args) return null;
            var dry = o["dry_run"] is JsonValue d && d.GetValueKind() == JsonValueKind.True;
            o.Remove("args");
            return new Request(id, caller, issued, expires, ha.Select(n => n!.GetValue<string>()).ToArray(), filter, reply, stage, verb, args, dry);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The caller a call message claims, read without trusting it (for the audit record of a refusal).</summary>
    public static string ClaimedCaller(byte[] payload)
    {
        try
        {
            return JsonNode.Parse(payload) is JsonObject o && o["caller"] is JsonValue c && c.GetValueKind() == JsonValueKind.String && ValidWord(c.GetValue<string>())
                ? c.GetValue<string>() : "?";
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException) { return "?"; }
    }
}

/// <summary>
/// Which agents a call goes to. <c>*</c> all; <c>@ROLE</c> or <c>role=ROLE</c>; <c>label.KEY=VALUE</c>; <c>os=linux</c>,
/// <c>arch=x64</c>; <c>host=a,b</c> or a bare host list <c>a,b</c> (no discovery: exactly those hosts). A value may list
/// alternatives (<c>role=web,db</c>: either); terms joined by <c>+</c> must all hold (<c>@web+label.dc=fra</c>).
/// </summary>
public sealed class AgentFilter
{
    readonly List<(string Key, string[] Values)> _terms = [];
    public string Text { get; }

    /// <summary>The hosts named, when the filter is a host list (then discovery is skipped).</summary>
    public IReadOnlyList<string>? Hosts { get; private set; }

    AgentFilter(string text) => Text = text;

    /// <summary>The longest filter by facts (it travels in a discovery request, which agents read up to 4 KiB).</summary>
    public const int MaxFilter = 4000;
    /// <summary>The longest host list (~50,000 names of 20 characters; the signed request carries it twice: hosts and filter).</summary>
    public const int MaxHostList = 512 * 1024;

    public static AgentFilter Parse(string text)
    {
        var f = new AgentFilter(text);
        if (text.Length == 0) throw Bad(text);
        // A filter by facts fits a discovery request (4 KiB); a host list skips discovery and may name up to MaxHostList
        // characters of hosts (500 hosts are ~4.4 KB: the old 4 KiB bound refused them as "not an agent filter").
        var limit = text.AsSpan().IndexOfAny("@=+") < 0 && text != "*" ? MaxHostList : MaxFilter;
        if (text.Length > limit)
            throw Resh.Core.Errors.ReshError.Usage($"The agent filter is {text.Length:N0} characters long; at most {limit:N0} for {(limit == MaxFilter ? "a filter by facts" : "a host list")}.",
                limit == MaxFilter ? "Select with fewer terms (agent://@web/..., agent://label.dc=fra/...)." : "Select by facts (agent://@web/..., agent://label.dc=fra/...) or split the host list over several calls.").ToException();
        if (text == "*") return f;
        foreach (var term in text.Split('+'))
        {
            string key, value;
            if (term.StartsWith('@')) (key, value) = ("role", term[1..]);
            else if (term.IndexOf('=') is var eq and > 0) (key, value) = (term[..eq], term[(eq + 1)..]);
            else (key, value) = ("host", term);
            var values = value.Split(',');
            if (values.Any(v => key == "host" ? !AgentWire.ValidHost(v) : !AgentWire.ValidWord(v))) throw Bad(text);
            if (!(key is "role" or "host" or "os" or "arch" || key.StartsWith("label.", StringComparison.Ordinal) && AgentWire.ValidWord(key[6..]))) throw Bad(text);
            f._terms.Add((key, values));
        }
        if (f._terms.Count == 1 && f._terms[0].Key == "host") f.Hosts = f._terms[0].Values.Distinct(StringComparer.Ordinal).ToArray();
        else if (f._terms.Any(t => t.Key == "host"))
            throw Resh.Core.Errors.ReshError.Usage($"The agent filter `{AgentSettings.Clip(text)}` mixes a host list with other terms.", "Name hosts alone (agent://web01,web02/...) or filter by facts (agent://@web+label.dc=fra/...).").ToException();
        return f;
    }

    static Resh.Core.Errors.ReshException Bad(string text) => Resh.Core.Errors.ReshError.Usage(
        $"`{AgentSettings.Clip(text)}` is not an agent filter.",
        "Examples: agent://*/..., agent://@web/..., agent://role=db/..., agent://label.dc=fra/..., agent://web01,web02/..., agent://@web+os=linux/...").ToException();

    /// <summary>True when an agent of this host name and these facts matches.</summary>
    public bool Matches(string host, AgentSettings self)
    {
        foreach (var (key, values) in _terms)
        {
            var ok = key switch
            {
                "host" => values.Contains(host, StringComparer.Ordinal),
                "role" => values.Any(v => self.Roles.Contains(v, StringComparer.Ordinal)),
                "os" => values.Contains(self.Facts()["os"]!.GetValue<string>(), StringComparer.Ordinal),
                "arch" => values.Contains(self.Facts()["arch"]!.GetValue<string>(), StringComparer.Ordinal),
                _ => self.Labels.TryGetValue(key[6..], out var lv) && values.Contains(lv, StringComparer.Ordinal),
            };
            if (!ok) return false;
        }
        return true;
    }
}
