using System.Globalization;
using System.Text;

namespace Resh.Surfaces.Serve;

/// <summary>
/// The counters of `GET /metrics` in the Prometheus text format: calls by handle, verb and outcome code, and a latency
/// histogram by handle and verb, for REST (resh_rest_*) and MCP over HTTP tools/call (resh_mcp_*); refused TLS
/// handshakes by reason; resh_build_info; and the process metrics every exporter has (RSS, open fds, start time, CPU).
/// Labels come from the registry (a call whose verb did not resolve counts under empty labels) or from fixed lists, so
/// a client cannot make the series grow without bound.
/// </summary>
public sealed class ServeMetrics(string version = "", string commit = "")
{
    static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    sealed class Latency
    {
        public readonly long[] Counts = new long[Buckets.Length + 1];
        public double Sum;
        public long Count;
    }

    /// <summary>Calls of one surface: counts by (handle, verb, code) and latency by (handle, verb).</summary>
    sealed class Calls
    {
        public readonly Dictionary<(string Handle, string Verb, string Code), long> Count = [];
        public readonly Dictionary<(string Handle, string Verb), Latency> Latency = [];

        public void Add(string handle, string verb, string code, double seconds)
        {
            Count[(handle, verb, code)] = Count.GetValueOrDefault((handle, verb, code)) + 1;
            if (!Latency.TryGetValue((handle, verb), out var l)) Latency[(handle, verb)] = l = new Latency();
            var i = 0;
            while (i < Buckets.Length && seconds > Buckets[i]) i++;
            l.Counts[i]++;
            l.Sum += seconds;
            l.Count++;
        }
    }

    readonly Lock _lock = new();
    readonly Calls _rest = new(), _mcp = new();
    readonly Dictionary<int, long> _statuses = [];
    readonly Dictionary<string, long> _tlsRefused = [];
    long _unauthorized;

    /// <summary>Open MCP sessions, read when /metrics is rendered (null: MCP is not served).</summary>
    public Func<int>? McpSessions { get; set; }

    public void Call(string handle, string verb, string code, double seconds)
    {
        lock (_lock) _rest.Add(handle, verb, code, seconds);
    }

    /// <summary>An MCP tools/call over HTTP, ended with this envelope code.</summary>
    public void McpCall(string handle, string verb, string code, double seconds)
    {
        lock (_lock) _mcp.Add(handle, verb, code, seconds);
    }

    public void Response(int status)
    {
        lock (_lock) _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
    }

    public void Unauthorized() => Interlocked.Increment(ref _unauthorized);

    /// <summary>A TLS client certificate refused at the handshake; <paramref name="reason"/> is one of a fixed few words.</summary>
    public void TlsRefused(string reason)
    {
        lock (_lock) _tlsRefused[reason] = _tlsRefused.GetValueOrDefault(reason) + 1;
    }

    public string Render()
    {
        var sb = new StringBuilder();
        lock (_lock)
        {
            RenderCalls(sb, "resh_rest", "Verb calls through resh serve's REST API", _rest);
            RenderCalls(sb, "resh_mcp", "MCP tools/call over HTTP (resh serve --mcp)", _mcp);
            sb.Append("# HELP resh_rest_responses_total HTTP responses by status.\n");
            sb.Append("# TYPE resh_rest_responses_total counter\n");
            foreach (var (s, n) in _statuses.OrderBy(k => k.Key))
                sb.Append("resh_rest_responses_total{status=\"").Append(s).Append("\"} ").Append(n).Append('\n');
            sb.Append("# HELP resh_tls_client_certificates_refused_total Client certificates refused at the TLS handshake, by reason (expired, unknown_ca, bad_usage, invalid).\n");
            sb.Append("# TYPE resh_tls_client_certificates_refused_total counter\n");
            foreach (var (r, n) in _tlsRefused.OrderBy(k => k.Key, StringComparer.Ordinal))
                sb.Append("resh_tls_client_certificates_refused_total{reason=\"").Append(Label(r)).Append("\"} ").Append(n).Append('\n');
        }
        sb.Append("# HELP resh_rest_unauthorized_total Requests refused for want of an identity: a missing, unknown, expired or revoked token, a failed login, or a certificate or login no role is mapped to.\n");
        sb.Append("# TYPE resh_rest_unauthorized_total counter\n");
        sb.Append("resh_rest_unauthorized_total ").Append(Interlocked.Read(ref _unauthorized)).Append('\n');
        if (McpSessions is { } sessions)
        {
            sb.Append("# HELP resh_mcp_sessions MCP sessions open now.\n");
            sb.Append("# TYPE resh_mcp_sessions gauge\n");
            sb.Append("resh_mcp_sessions ").Append(sessions()).Append('\n');
        }
        sb.Append("# HELP resh_rest_stream_queue_peak_bytes The most bytes one NDJSON streaming call has had queued for its client at once (the bound is 1 MiB, or one longer envelope).\n");
        sb.Append("# TYPE resh_rest_stream_queue_peak_bytes gauge\n");
        sb.Append("resh_rest_stream_queue_peak_bytes ").Append(NdjsonCallStream.PeakQueuedBytes).Append('\n');
        sb.Append("# HELP resh_build_info The running resh: version and commit (always 1).\n");
        sb.Append("# TYPE resh_build_info gauge\n");
        sb.Append("resh_build_info{version=\"").Append(Label(version)).Append("\",commit=\"").Append(Label(commit)).Append("\"} 1\n");
        ProcessMetrics(sb);
        return sb.ToString();
    }

    static void RenderCalls(StringBuilder sb, string prefix, string what, Calls calls)
    {
        sb.Append("# HELP ").Append(prefix).Append("_calls_total ").Append(what).Append(", by handle, verb and outcome code (ok or the error code).\n");
        sb.Append("# TYPE ").Append(prefix).Append("_calls_total counter\n");
        foreach (var ((h, v, c), n) in calls.Count.OrderBy(k => k.Key))
            sb.Append(prefix).Append("_calls_total{handle=\"").Append(Label(h)).Append("\",verb=\"").Append(Label(v)).Append("\",code=\"").Append(Label(c)).Append("\"} ").Append(n).Append('\n');
        var metric = prefix + "_call_duration_seconds";
        sb.Append("# HELP ").Append(metric).Append(" Time from the request's arrival to its envelope, by handle and verb.\n");
        sb.Append("# TYPE ").Append(metric).Append(" histogram\n");
        foreach (var ((h, v), l) in calls.Latency.OrderBy(k => k.Key))
        {
            var labels = $"handle=\"{Label(h)}\",verb=\"{Label(v)}\"";
            long cumulative = 0;
            for (var i = 0; i < Buckets.Length; i++)
            {
                cumulative += l.Counts[i];
                sb.Append(metric).Append("_bucket{").Append(labels).Append(",le=\"").Append(Buckets[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ").Append(cumulative).Append('\n');
            }
            sb.Append(metric).Append("_bucket{").Append(labels).Append(",le=\"+Inf\"} ").Append(l.Count).Append('\n');
            sb.Append(metric).Append("_sum{").Append(labels).Append("} ").Append(l.Sum.ToString("0.######", CultureInfo.InvariantCulture)).Append('\n');
            sb.Append(metric).Append("_count{").Append(labels).Append("} ").Append(l.Count).Append('\n');
        }
    }

    /// <summary>process_* as the Prometheus client libraries name them, from /proc/self (left out where /proc cannot be read).</summary>
    static void ProcessMetrics(StringBuilder sb)
    {
        try
        {
            // /proc/self/stat: fields after the command's closing paren; utime 14, stime 15, starttime 22, rss 24 (1-based, man proc).
            var stat = File.ReadAllText("/proc/self/stat");
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double ticks = 100; // USER_HZ: 100 on every Linux architecture .NET runs on
            var cpu = (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / ticks;
            var start = long.Parse(f[19], CultureInfo.InvariantCulture) / ticks;
            var rssPages = long.Parse(f[21], CultureInfo.InvariantCulture);
            var boot = BootTime();
            Gauge(sb, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.", cpu.ToString("0.##", CultureInfo.InvariantCulture));
            Gauge(sb, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", (rssPages * Environment.SystemPageSize).ToString(CultureInfo.InvariantCulture));
            if (boot is { } b)
                Gauge(sb, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", (b + start).ToString("0.##", CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException) { }
        try
        {
            var fds = Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
            Gauge(sb, "process_open_fds", "gauge", "Number of open file descriptors.", fds.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                    if (long.TryParse(soft, CultureInfo.InvariantCulture, out var max))
                        Gauge(sb, "process_max_fds", "gauge", "Maximum number of open file descriptors.", max.ToString(CultureInfo.InvariantCulture));
                }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>The commit this binary was built from (the informational version's +COMMIT), or "dev".</summary>
    public static string Commit()
    {
        var info = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(
            System.Reflection.Assembly.GetEntryAssembly() ?? typeof(ServeMetrics).Assembly)?.InformationalVersion;
        return info?.Split('+').ElementAtOrDefault(1) is { Length: > 0 } c ? c : "dev";
    }

    static long? _bootTime;

    /// <summary>btime of /proc/stat: the boot time in seconds since the epoch (the start time in /proc/self/stat counts from it).</summary>
    static long? BootTime()
    {
        if (_bootTime is { } known) return known;
        foreach (var line in File.ReadLines("/proc/stat"))
            if (line.StartsWith("btime ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture, out var b))
                return _bootTime = b;
        return null;
    }

    static void Gauge(StringBuilder sb, string name, string type, string help, string value) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n').Append(name).Append(' ').Append(value).Append('\n');

    static string Label(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
