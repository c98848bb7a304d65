using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Cert;

/// <summary>
/// The plain-text exchange before TLS on a mail port, as <c>openssl s_client -starttls smtp|imap</c> does it:
/// SMTP (RFC 3207) greeting, EHLO, STARTTLS, 220; IMAP (RFC 3501) greeting, <c>a1 STARTTLS</c>, <c>a1 OK</c>.
/// Replies are read a byte at a time (nothing of the TLS handshake is consumed), bounded in line length and count.
/// </summary>
internal static class StartTls
{
    const int MaxLine = 4096, MaxLines = 200;

    public static async Task NegotiateAsync(NetworkStream stream, string protocol, CertTarget target, CancellationToken ct)
    {
        if (protocol == "smtp")
        {
            var greeting = await ReplyAsync(stream, ct).ConfigureAwait(false);
            if (!greeting.StartsWith("220", StringComparison.Ordinal)) throw Refused(target, protocol, "greeting", greeting);
            await SendAsync(stream, "EHLO resh.invalid\r\n", ct).ConfigureAwait(false);
            var ehlo = await ReplyAsync(stream, ct).ConfigureAwait(false);
            if (!ehlo.StartsWith("250", StringComparison.Ordinal)) throw Refused(target, protocol, "EHLO", ehlo);
            await SendAsync(stream, "STARTTLS\r\n", ct).ConfigureAwait(false);
            var go = await ReplyAsync(stream, ct).ConfigureAwait(false);
            if (!go.StartsWith("220", StringComparison.Ordinal)) throw Refused(target, protocol, "STARTTLS", go);
            return;
        }
        // imap
        var hello = await LineAsync(stream, ct).ConfigureAwait(false);
        if (!hello.StartsWith("* OK", StringComparison.OrdinalIgnoreCase)) throw Refused(target, protocol, "greeting", hello);
        await SendAsync(stream, "a1 STARTTLS\r\n", ct).ConfigureAwait(false);
        for (int i = 0; i < MaxLines; i++)
        {
            var line = await LineAsync(stream, ct).ConfigureAwait(false);
            if (line.StartsWith("* ", StringComparison.Ordinal)) continue; // untagged data before the answer
            if (line.StartsWith("a1 OK", StringComparison.OrdinalIgnoreCase)) return;
            throw Refused(target, protocol, "STARTTLS", line);
        }
        throw Refused(target, protocol, "STARTTLS", "(no tagged answer)");
    }

    /// <summary>An SMTP reply: lines <c>NNN-text</c> until <c>NNN text</c>; returns the last line.</summary>
    static async Task<string> ReplyAsync(NetworkStream stream, CancellationToken ct)
    {
        for (int i = 0; i < MaxLines; i++)
        {
            var line = await LineAsync(stream, ct).ConfigureAwait(false);
            if (line.Length < 4 || line[3] != '-') return line;
        }
        throw new IOException("too many reply lines");
    }

    static async Task<string> LineAsync(NetworkStream stream, CancellationToken ct)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < MaxLine)
        {
            if (await stream.ReadAsync(one, ct).ConfigureAwait(false) == 0) throw new IOException("the server closed the connection");
            if (one[0] == '\n') break;
            if (one[0] != '\r') bytes.Add(one[0]);
        }
        if (bytes.Count >= MaxLine) throw new IOException("a reply line is too long");
        return Encoding.ASCII.GetString(bytes.ToArray());
    }

    static Task SendAsync(NetworkStream stream, string command, CancellationToken ct) => stream.WriteAsync(Encoding.ASCII.GetBytes(command), ct).AsTask();

    static ReshException Refused(CertTarget target, string protocol, string step, string reply) =>
        ReshError.Failed($"{target.Display} did not accept {protocol} STARTTLS ({step}): {Clip(reply)}",
            protocol == "smtp" ? "Check the port is SMTP (25 or 587) and the server offers STARTTLS; port 465 speaks TLS directly (no starttls=)."
                : "Check the port is IMAP (143) and the server offers STARTTLS; port 993 speaks TLS directly (no starttls=).",
            new JsonObject { ["host"] = target.Host, ["port"] = target.Port, ["starttls"] = protocol, ["step"] = step, ["reply"] = Clip(reply) }).ToException();

    static string Clip(string s)
    {
        var clean = new string(s.Select(c => c is >= ' ' and < (char)0x7F ? c : '?').ToArray());
        return clean.Length > 200 ? clean[..200] + "…" : clean;
    }
}
