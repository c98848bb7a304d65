// A small HTTP/1.1 load generator for bench/serve-call.sh: CONCURRENCY workers, each sending one POST per
// connection (it asks for Connection: close and reads the answer to the end) for DURATION seconds; prints one JSON line with
// requests/s, latency percentiles and the status counts.
//   dotnet ServeLoad.dll URL TOKEN BODY CONCURRENCY DURATION_S [WARMUP_S]
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

var url = new Uri(args[0]);
var token = args[1];
var body = Encoding.UTF8.GetBytes(args[2]);
var concurrency = int.Parse(args[3]);
var duration = TimeSpan.FromSeconds(double.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
var warmup = TimeSpan.FromSeconds(args.Length > 5 ? double.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 2);
var endpoint = new IPEndPoint(IPAddress.Parse(url.Host), url.Port);
var head = Encoding.ASCII.GetBytes($"POST {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
var request = head.Concat(body).ToArray();

async Task<(int Status, double Ms)> OneAsync(byte[] buffer)
{
    var start = Stopwatch.GetTimestamp();
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await socket.ConnectAsync(endpoint);
    await socket.SendAsync(request, SocketFlags.None);
    int total = 0, n;
    while ((n = await socket.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None)) > 0)
    {
        total += n;
        if (total == buffer.Length) total = 16; // keep the status line, drop the rest of a long answer
    }
    var status = total >= 12 ? int.Parse(Encoding.ASCII.GetString(buffer, 9, 3)) : 0;
    return (status, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
}

async Task<(List<double> Lat, Dictionary<int, int> Statuses, int Errors)> RunAsync(TimeSpan length)
{
    var stop = Stopwatch.StartNew();
    var tasks = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
    {
        var lat = new List<double>(100_000);
        var statuses = new Dictionary<int, int>();
        var errors = 0;
        var buffer = new byte[64 * 1024];
        while (stop.Elapsed < length)
        {
            try
            {
                var (status, ms) = await OneAsync(buffer);
                lat.Add(ms);
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
            }
            catch (SocketException) { errors++; }
        }
        return (lat, statuses, errors);
    })).ToArray();
    var results = await Task.WhenAll(tasks);
    var all = results.SelectMany(r => r.lat).ToList();
    var merged = new Dictionary<int, int>();
    foreach (var r in results) foreach (var (k, v) in r.statuses) merged[k] = merged.GetValueOrDefault(k) + v;
    return (all, merged, results.Sum(r => r.errors));
}

await RunAsync(warmup);
var clock = Stopwatch.StartNew();
var (latencies, codes, errs) = await RunAsync(duration);
var seconds = clock.Elapsed.TotalSeconds;
latencies.Sort();
double P(double q) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
var statusText = string.Join(",", codes.OrderBy(k => k.Key).Select(k => $"\"{k.Key}\":{k.Value}"));
Console.WriteLine(FormattableString.Invariant(
    $"{{\"requests\":{latencies.Count},\"seconds\":{seconds:0.000},\"rps\":{latencies.Count / seconds:0.0},\"p50_ms\":{P(0.50):0.000},\"p90_ms\":{P(0.90):0.000},\"p99_ms\":{P(0.99):0.000},\"max_ms\":{(latencies.Count == 0 ? 0 : latencies[^1]):0.000},\"errors\":{errs},\"statuses\":{{{statusText}}}}}"));
