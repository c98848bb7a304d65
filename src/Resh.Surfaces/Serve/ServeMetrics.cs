using System.Globalization;
using System.Text;

namespace Resh.Surfaces.Serve;

/// <summary>
/// The counters of `GET /metrics` in the Prometheus text format: calls by handle, verb and outcome code, and a latency
/// histogram by handle and verb. Labels come from the registry (a call whose verb did not resolve counts under empty
/// labels), so a client cannot make the series grow without bound.
/// </summary>
public sealed class ServeMetrics
{
    static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    sealed class Latency
    {
        public readonly long[] Counts = new long[Buckets.Length + 1];
        public double Sum;
        public long Count;
    }

    readonly Lock _lock = new();
    readonly Dictionary<(string Handle, string Verb, string Code), long> _calls = [];
    readonly Dictionary<(string Handle, string Verb), Latency> _latency = [];
    readonly Dictionary<int, long> _statuses = [];
    long _unauthorized;

    public void Call(string handle, string verb, string code, double seconds)
    {
        lock (_lock)
        {
            _calls[(handle, verb, code)] = _calls.GetValueOrDefault((handle, verb, code)) + 1;
            if (!_latency.TryGetValue((handle, verb), out var l)) _latency[(handle, verb)] = l = new Latency();
            var i = 0;
            while (i < Buckets.Length && seconds > Buckets[i]) i++;
            l.Counts[i]++;
            l.Sum += seconds;
            l.Count++;
        }
    }

    public void Response(int status)
    {
        lock (_lock) _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
    }

    public void Unauthorized() => Interlocked.Increment(ref _unauthorized);

    public string Render()
    {
        var sb = new StringBuilder();
        lock (_lock)
        {
            sb.Append("# HELP resh_rest_calls_total Verb calls through resh serve, by handle, verb and outcome code (ok or the error code).\n");
            sb.Append("# TYPE resh_rest_calls_total counter\n");
            foreach (var ((h, v, c), n) in _calls.OrderBy(k => k.Key))
                sb.Append("resh_rest_calls_total{handle=\"").Append(Label(h)).Append("\",verb=\"").Append(Label(v)).Append("\",code=\"").Append(Label(c)).Append("\"} ").Append(n).Append('\n');
            sb.Append("# HELP resh_rest_call_duration_seconds Time from the request's arrival to its envelope, by handle and verb.\n");
            sb.Append("# TYPE resh_rest_call_duration_seconds histogram\n");
            foreach (var ((h, v), l) in _latency.OrderBy(k => k.Key))
            {
                var labels = $"handle=\"{Label(h)}\",verb=\"{Label(v)}\"";
                long cumulative = 0;
                for (var i = 0; i < Buckets.Length; i++)
                {
                    cumulative += l.Counts[i];
                    sb.Append("resh_rest_call_duration_seconds_bucket{").Append(labels).Append(",le=\"").Append(Buckets[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ").Append(cumulative).Append('\n');
                }
                sb.Append("resh_rest_call_duration_seconds_bucket{").Append(labels).Append(",le=\"+Inf\"} ").Append(l.Count).Append('\n');
                sb.Append("resh_rest_call_duration_seconds_sum{").Append(labels).Append("} ").Append(l.Sum.ToString("0.######", CultureInfo.InvariantCulture)).Append('\n');
                sb.Append("resh_rest_call_duration_seconds_count{").Append(labels).Append("} ").Append(l.Count).Append('\n');
            }
            sb.Append("# HELP resh_rest_responses_total HTTP responses by status.\n");
            sb.Append("# TYPE resh_rest_responses_total counter\n");
            foreach (var (s, n) in _statuses.OrderBy(k => k.Key))
                sb.Append("resh_rest_responses_total{status=\"").Append(s).Append("\"} ").Append(n).Append('\n');
        }
        sb.Append("# HELP resh_rest_unauthorized_total Requests refused for a missing, unknown, expired or revoked token.\n");
        sb.Append("# TYPE resh_rest_unauthorized_total counter\n");
        sb.Append("resh_rest_unauthorized_total ").Append(Interlocked.Read(ref _unauthorized)).Append('\n');
        return sb.ToString();
    }

    static string Label(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
