using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mail;

/// <summary>
/// Servers that misbehave on purpose (security review of issue 13): an SMTP server whose greeting or EHLO reply never
/// ends, an IMAP server that sends a literal far larger than the message it announced, or announces a huge one; and
/// the plaintext fallback of tls=auto, which must be flagged.
/// </summary>
[Collection("mail")]
public sealed class MailHostileServerTests(MailBackend mail)
{
    static async Task Endless(NetworkStream s, string code, CancellationToken ct)
    {
        var line = Encoding.ASCII.GetBytes(code + "-" + new string('x', 990) + "\r\n");
        var chunk = Enumerable.Repeat(line, 64).SelectMany(b => b).ToArray();
        while (!ct.IsCancellationRequested) await s.WriteAsync(chunk, ct);
    }

    [Fact]
    public void An_endless_smtp_greeting_or_ehlo_reply_is_cut_at_the_reply_bound()
    {
        using var greeting = new LoopbackServer((s, ct) => Endless(s, "220", ct));
        var g = ReshBinary.Run([$"mail://127.0.0.1:{greeting.Port}.test", "timeout=60s"], wait: TimeSpan.FromSeconds(120));
        Assert.Equal("failed", g.ErrorCode);
        Assert.NotNull(g.Envelope["error"]!["details"]!["limit_bytes"]);

        using var ehlo = new LoopbackServer(async (s, ct) =>
        {
            await s.WriteAsync("220 hostile ESMTP\r\n"u8.ToArray(), ct);
            var buf = new byte[4096];
            if (await s.ReadAsync(buf, ct) == 0) return; // EHLO
            await Endless(s, "250", ct);
        });
        var e = ReshBinary.Run([$"mail://127.0.0.1:{ehlo.Port}.test", "timeout=60s"], wait: TimeSpan.FromSeconds(120));
        Assert.Equal("failed", e.ErrorCode);
        Assert.NotNull(e.Envelope["error"]!["details"]!["limit_bytes"]);
    }

    /// <summary>A minimal IMAP server with one message of <paramref name="announced"/> bytes; BODY[] sends <paramref name="sent"/> bytes.</summary>
    static LoopbackServer Imap(long announced, long sent, ConcurrentQueue<string> log) => new(async (s, ct) =>
    {
        async Task W(string text) => await s.WriteAsync(Encoding.ASCII.GetBytes(text), ct);
        var reader = new StreamReader(s, Encoding.ASCII);
        await W("* OK [CAPABILITY IMAP4rev1 LITERAL+] hostile ready\r\n");
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            log.Enqueue(line);
            var m = Regex.Match(line, @"^(\S+) (.*)$");
            if (!m.Success) continue;
            var (tag, cmd) = (m.Groups[1].Value, m.Groups[2].Value.ToUpperInvariant());
            if (cmd.StartsWith("CAPABILITY")) await W($"* CAPABILITY IMAP4rev1 LITERAL+\r\n{tag} OK done\r\n");
            else if (cmd.StartsWith("LOGIN")) await W($"{tag} OK [CAPABILITY IMAP4rev1 LITERAL+] logged in\r\n");
            else if (cmd.StartsWith("LIST")) await W($"* LIST (\\HasNoChildren) \"/\" INBOX\r\n{tag} OK done\r\n");
            else if (cmd.StartsWith("EXAMINE") || cmd.StartsWith("SELECT"))
                await W($"* FLAGS (\\Seen)\r\n* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] x\r\n* OK [UIDNEXT 2] x\r\n{tag} OK [READ-ONLY] done\r\n");
            else if (cmd.StartsWith("UID FETCH") && cmd.Contains("BODY"))
            {
                await W($"* 1 FETCH (UID 1 BODY[] {{{sent}}}\r\nFrom: a@example.test\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\n");
                var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(new string('A', 1000) + "\r\n", 256)));
                while (!ct.IsCancellationRequested) await s.WriteAsync(chunk, ct); // until resh hangs up
            }
            else if (cmd.StartsWith("UID FETCH")) await W($"* 1 FETCH (UID 1 FLAGS () RFC822.SIZE {announced})\r\n{tag} OK done\r\n");
            else if (cmd.StartsWith("LOGOUT")) { await W($"* BYE bye\r\n{tag} OK done\r\n"); return; }
            else await W($"{tag} OK done\r\n");
        }
    });

    static ReshRun Fetch(int port, params string[] extra) =>
        ReshBinary.Run([$"mail://ann@127.0.0.1:{port}.fetch", "uid=1", "password=env:PW", "tls=none", "timeout=60s", .. extra],
            env: new Dictionary<string, string> { ["PW"] = "pw" }, wait: TimeSpan.FromSeconds(120));

    [Fact]
    public void An_imap_literal_far_beyond_the_announced_size_is_cut_off()
    {
        var log = new ConcurrentQueue<string>();
        using var server = Imap(1900, 2_100_000_000, log);
        var r = Fetch(server.Port);
        Assert.Equal("failed", r.ErrorCode);
        Assert.True(r.Envelope["error"]!["details"]!["limit_bytes"]!.GetValue<long>() < 1 << 20, r.ToString());
        Assert.Contains(log, l => l.Contains("BODY", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_message_announced_larger_than_max_size_is_not_fetched()
    {
        var log = new ConcurrentQueue<string>();
        using var server = Imap(100_000_000, 100_000_000, log);
        var r = Fetch(server.Port);
        Assert.Equal("failed", r.ErrorCode);
        Assert.Contains("max_size", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain(log, l => l.Contains("BODY", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Tls_auto_on_a_server_without_starttls_warns_that_the_session_is_plaintext()
    {
        var r = ReshBinary.Run($"mail://127.0.0.1:{mail.PlainPort}.send", "to=a@example.test", "subject=plain", "text=x");
        Assert.True(r.Ok, r.ToString());
        Assert.False(r.Result!["tls"]!.GetValue<bool>());
        Assert.Contains(r.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("not encrypted"));
    }
}
