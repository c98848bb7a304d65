using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;

namespace Resh.Handles.Tests.Webhook;

/// <summary>
/// A `resh webhook://...listen` process in the background (its NDJSON read as it comes, so a test waits for
/// `listening`), and raw loopback requests made by hand (a tampered signature, a slow or huge head) with signatures
/// computed here, independently of resh.
/// </summary>
public sealed class Listener : IDisposable
{
    readonly Process _p;
    readonly StringBuilder _out = new(), _err = new();
    readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Task _reader, _errReader;

    public int Port { get; }
    public string Url => _url.Task.Result;

    public Listener(int port, string stateDir, IEnumerable<string> args, IDictionary<string, string>? env = null, string[]? prefix = null)
    {
        Port = port;
        var psi = new ProcessStartInfo(prefix is null ? ReshBinary.Path : prefix[0])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (prefix is not null) { foreach (var a in prefix.Skip(1)) psi.ArgumentList.Add(a); psi.ArgumentList.Add(ReshBinary.Path); }
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--format");
        psi.ArgumentList.Add("ndjson");
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["RESH_HOME"] = stateDir;
        psi.Environment.Remove("RESH_CONFIG");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        _p = Process.Start(psi)!;
        _p.StandardInput.Close();
        _reader = Task.Run(async () =>
        {
            string? line;
            while ((line = await _p.StandardOutput.ReadLineAsync()) is not null)
            {
                lock (_out) _out.Append(line).Append('\n');
                if (line.Contains("\"event\":\"listening\"")) _url.TrySetResult(JsonNode.Parse(line)!["url"]!.GetValue<string>());
            }
            _url.TrySetResult("");
        });
        _errReader = Task.Run(async () => { var e = await _p.StandardError.ReadToEndAsync(); lock (_err) _err.Append(e); });
        if (!_url.Task.Wait(TimeSpan.FromSeconds(20)) || _url.Task.Result.Length == 0)
        {
            try { _p.Kill(true); } catch (InvalidOperationException) { }
            _p.WaitForExit(5000);
            throw new InvalidOperationException($"The listener did not start.\nstdout: {Stdout}\nstderr: {Stderr}");
        }
    }

    /// <summary>Sends a signal (TERM, INT) to the listener, as a supervisor or a terminal would.</summary>
    public void Signal(string name) => Sh.Ok("kill", "-" + name, _p.Id.ToString(CultureInfo.InvariantCulture));

    public string Stdout { get { lock (_out) return _out.ToString(); } }
    public string Stderr { get { lock (_err) return _err.ToString(); } }

    /// <summary>Waits for the listener to end by itself (count=, --timeout) and returns its output.</summary>
    public ReshRun Finish(TimeSpan? wait = null)
    {
        if (!_p.WaitForExit(wait ?? TimeSpan.FromSeconds(30)))
        {
            _p.Kill(true);
            throw new TimeoutException($"The listener did not stop.\nstdout: {Stdout}");
        }
        _reader.Wait(5000);
        _errReader.Wait(5000);
        var o = Stdout;
        return new ReshRun(_p.ExitCode, o, Stderr, Encoding.UTF8.GetBytes(o));
    }

    public void Dispose()
    {
        if (!_p.HasExited) { try { _p.Kill(true); } catch (InvalidOperationException) { } _p.WaitForExit(5000); }
        _p.Dispose();
    }
}

public static class WebhookKit
{
    public const string HookSecret = "wh-test-secret-9f3a1c77";

    public static int FreePort() => NetTestKit.FreePort();

    public static string Hex(byte[] key, byte[] data) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, data));

    /// <summary>The generic style's headers for a body, computed independently of resh.</summary>
    public static List<(string, string)> Generic(string body, string id, long? unix = null, string secret = HookSecret)
    {
        var ts = (unix ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds()).ToString(CultureInfo.InvariantCulture);
        return [("X-Webhook-Timestamp", ts), ("X-Webhook-Id", id), ("X-Webhook-Signature", Hex(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(ts + "." + body)))];
    }

    public static List<(string, string)> GitHub(string body, string id, string evt = "push", string secret = HookSecret) =>
        [("X-GitHub-Event", evt), ("X-GitHub-Delivery", id), ("X-Hub-Signature-256", Hex(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)))];

    /// <summary>A raw POST on a fresh connection; returns the status and the body of the answer.</summary>
    public static (int Status, string Body) Post(int port, string path, string body, IEnumerable<(string, string)> headers, string? rawHead = null)
    {
        var sb = new StringBuilder($"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n");
        foreach (var (k, v) in headers) sb.Append(k).Append(": ").Append(v).Append("\r\n");
        if (rawHead is not null) sb.Append(rawHead);
        sb.Append("\r\n").Append(body);
        return Exchange(port, Encoding.UTF8.GetBytes(sb.ToString()));
    }

    /// <summary>Sends bytes as they are, reads the answer until the server closes (bounded at 10 s); from another loopback address with <paramref name="from"/>.</summary>
    public static (int Status, string Body) Exchange(int port, byte[] request, TimeSpan? pauseAfter = null, string? from = null)
    {
        using var client = new TcpClient();
        if (from is not null) client.Client.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(from), 0));
        client.Connect("127.0.0.1", port);
        client.ReceiveTimeout = 10_000;
        var s = client.GetStream();
        try { s.Write(request); } catch (IOException) { } // the server may answer (413) and close before reading it all
        return ReadAnswer(s);
    }

    public static (int Status, string Body) ReadAnswer(NetworkStream s)
    {
        var ms = new MemoryStream();
        var buf = new byte[8192];
        try
        {
            int n;
            while ((n = s.Read(buf)) > 0) ms.Write(buf, 0, n);
        }
        catch (IOException) { }
        var text = Encoding.UTF8.GetString(ms.ToArray());
        if (!text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal)) return (0, text);
        var status = int.Parse(text.AsSpan(9, 3), CultureInfo.InvariantCulture);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, split < 0 ? "" : text[(split + 4)..]);
    }

    public static IEnumerable<JsonObject> Events(string ndjson, string name) =>
        ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(o => o["event"]?.GetValue<string>() == name);

    public static JsonObject Envelope(string ndjson) =>
        ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).Last(o => o.ContainsKey("ok"));
}
