using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;

namespace Resh.Surfaces.Serve.Identity;

/// <summary>
/// Requests per identity ([serve] rate = "N/s" or "N/m", burst = B): a token bucket per identity key (token:ci,
/// cert:NAME, ldap:USER), refilled at the rate and holding at most the burst (default: one second's worth, at least 1).
/// A request over it is answered 429 with Retry-After; <see cref="Take"/> says when the refusal should be audited (the
/// first of each window of refusals), so a flood is not an audit flood.
/// </summary>
public sealed class RateLimiter
{
    readonly double _perSecond, _burst;
    readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    readonly Lock _lock = new();
    readonly Func<long> _now;

    sealed class Bucket
    {
        public double Tokens;
        public long Last;
        public long AuditedUntil;
    }

    public RateLimiter(double perSecond, double burst, Func<long>? nowMs = null)
    {
        _perSecond = perSecond;
        _burst = burst;
        _now = nowMs ?? (() => Environment.TickCount64);
    }

    public string Describe => $"{_perSecond.ToString("0.###", CultureInfo.InvariantCulture)}/s, burst {_burst.ToString("0.###", CultureInfo.InvariantCulture)}";

    /// <summary>The limiter of [serve] rate/burst, or null when no rate is set.</summary>
    public static RateLimiter? FromConfig(ReshConfig config)
    {
        var serve = config.Section("serve");
        if (serve?["rate"] is not { } node) return null;
        var text = node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : "";
        var slash = text.IndexOf('/');
        if (slash <= 0 || !double.TryParse(text[..slash], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > 1e6
            || text[(slash + 1)..] is not ("s" or "m" or "h"))
            throw ReshError.Usage($"[serve] rate `{text}` is not N/s, N/m or N/h.", "Example: rate = \"20/s\" (with burst = 40)").ToException();
        var perSecond = n / (text[^1] switch { 's' => 1, 'm' => 60, _ => 3600 });
        double burst = Math.Max(1, Math.Ceiling(perSecond));
        if (serve["burst"] is { } b)
        {
            if (ServeAuthenticator.Number(b) is not { } n2 || n2 is < 1 or > 1e6)
                throw ReshError.Usage("[serve] burst must be a number from 1 to 1000000.", "Example: burst = 40").ToException();
            burst = n2;
        }
        return new RateLimiter(perSecond, burst);
    }

    /// <summary>Takes one request for <paramref name="key"/>: null when allowed, else the seconds to wait and whether to audit this refusal.</summary>
    public (int RetryAfter, bool Audit)? Take(string key)
    {
        var now = _now();
        lock (_lock)
        {
            if (!_buckets.TryGetValue(key, out var b))
            {
                if (_buckets.Count >= 100_000) Sweep(now);
                _buckets[key] = b = new Bucket { Tokens = _burst, Last = now };
            }
            b.Tokens = Math.Min(_burst, b.Tokens + (now - b.Last) / 1000.0 * _perSecond);
            b.Last = now;
            if (b.Tokens >= 1) { b.Tokens -= 1; return null; }
            var wait = (int)Math.Ceiling((1 - b.Tokens) / _perSecond - 1e-9);
            if (wait < 1) wait = 1;
            var audit = now >= b.AuditedUntil;
            if (audit) b.AuditedUntil = now + wait * 1000L;
            return (wait, audit);
        }
    }

    /// <summary>Drops the buckets that are full again (their identities have been quiet): the memory of many identities stays bounded.</summary>
    void Sweep(long now)
    {
        foreach (var (k, b) in _buckets.ToArray())
            if (b.Tokens + (now - b.Last) / 1000.0 * _perSecond >= _burst) _buckets.Remove(k);
    }
}
