using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;

namespace Resh.Handles.Mail;

/// <summary>One phase of opening a session: what it was, whether it worked, how long it took.</summary>
internal sealed record MailPhase(string Phase, bool Ok, double Ms, string? Detail);

/// <summary>A failure in a named phase of a session (connect, tls, auth, or the command after them).</summary>
internal sealed class MailPhaseException(string phase, ReshError error, Exception? inner = null) : Exception(error.Message, inner)
{
    public string Phase { get; } = phase;
    public ReshError Error { get; } = error;
}

/// <summary>
/// Opens an SMTP or IMAP session the same way for every verb: resolve and connect a socket (phase `connect`),
/// hand it to MailKit for the greeting and TLS (phase `tls`, or `greeting` on plaintext), then authenticate
/// (phase `auth`). Certificates are checked by <see cref="TlsTrust"/> (system store or ca=); a password is never
/// sent over a connection that is not encrypted unless tls=none says so.
/// </summary>
internal sealed class MailSession : IAsyncDisposable
{
    public required MailService Client { get; init; }
    public required MailTarget Target { get; init; }
    public List<MailPhase> Phases { get; } = [];
    public bool Authenticated { get; private set; }
    public TlsTrust Trust { get; private init; } = null!;
    /// <summary>The byte and time budget of each reply (raise <see cref="ReplyGuardStream.MaxReply"/> for a large fetch).</summary>
    public ReplyGuardStream? Guard { get; private set; }

    public SmtpClient Smtp => (SmtpClient)Client;
    public ImapClient Imap => (ImapClient)Client;

    public static string TlsMode(VerbContext ctx, MailTarget? target = null)
    {
        if (ctx.IsSet(MailArgs.Tls)) return ctx.Get(MailArgs.Tls)!;
        if (target?.Endpoint.Setting("tls") is { } t) return t;
        return ctx.Get(MailArgs.Tls)!;
    }

    public static MailTarget ResolveTarget(VerbContext ctx, MailProtocol protocol)
    {
        var mode = ctx.Get(MailArgs.Tls)!;
        var first = MailTarget.Resolve(ctx, protocol, implicitTls: mode == "implicit");
        var configured = TlsMode(ctx, first);
        return configured == mode ? first : MailTarget.Resolve(ctx, protocol, implicitTls: configured == "implicit");
    }

    /// <summary>Largest SMTP reply (RFC 5321 replies are a few lines; EHLO lists some extensions).</summary>
    public const long SmtpMaxReply = 1 << 20;
    /// <summary>Largest IMAP answer to one command other than a message fetch (a SEARCH of a huge folder, a long LIST).</summary>
    public const long ImapMaxReply = 32L << 20;

    /// <summary>Connects, secures and (when a user or password is given) authenticates. Failures throw <see cref="MailPhaseException"/>.</summary>
    public static async Task<MailSession> OpenAsync(VerbContext ctx, MailProtocol protocol, bool authenticate = true)
    {
        var target = ResolveTarget(ctx, protocol);
        var mode = TlsMode(ctx, target);
        if (mode is not ("auto" or "starttls" or "implicit" or "none" or "insecure"))
            throw ReshError.Usage($"tls = \"{mode}\" in [mail.{target.Endpoint.Profile}] is not a TLS mode.", "Use auto, starttls, implicit, none or insecure.").ToException();
        var ca = ctx.Get(MailArgs.Ca) ?? target.Endpoint.Setting("ca");
        var trust = TlsTrust.Create(ca, insecure: mode == "insecure");
        if (mode == "insecure") ctx.Warn(TlsTrust.InsecureWarning);
        var timeout = ctx.Get(MailArgs.Timeout) ?? TimeSpan.FromSeconds(30);
        MailService client = protocol == MailProtocol.Smtp ? new SmtpClient() : new ImapClient();
        client.Timeout = (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds);
        client.CheckCertificateRevocation = false;
        client.ServerCertificateValidationCallback = (sender, cert, chain, errors) => trust.Validate(sender, cert, chain, errors);
        if (client is SmtpClient smtp) smtp.LocalDomain = LocalDomain();
        var session = new MailSession { Client = client, Target = target, Trust = trust };
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
            cts.CancelAfter(timeout);
            var socket = await session.ConnectSocketAsync(cts.Token, timeout).ConfigureAwait(false);
            var implicitTls = mode == "implicit" || (mode is "auto" or "insecure" && target.Port is 465 or 993);
            var options = mode switch
            {
                "none" => SecureSocketOptions.None,
                "starttls" => SecureSocketOptions.StartTls,
                _ when implicitTls => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.StartTlsWhenAvailable,
            };
            var phase = options == SecureSocketOptions.None ? "greeting" : "tls";
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                socket.ReceiveTimeout = client.Timeout;
                session.Guard = new ReplyGuardStream(new NetworkStream(socket, ownsSocket: true), timeout)
                {
                    MaxReply = protocol == MailProtocol.Smtp ? SmtpMaxReply : ImapMaxReply,
                };
                await client.ConnectAsync(session.Guard, target.Host, target.Port, options, cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not MailPhaseException)
            {
                socket.Dispose();
                // A server that has sent nothing at all failed its greeting (banner), whatever TLS was to follow; implicit TLS
                // speaks first, so there the silence is the TLS handshake's.
                var failedPhase = e is SslHandshakeException || (e is NotSupportedException && options == SecureSocketOptions.StartTls) ? "tls"
                    : options != SecureSocketOptions.SslOnConnect && session.Guard is { TotalReceived: 0 } ? "greeting" : phase;
                throw session.Fail(failedPhase, t0, Translate(e, failedPhase, session, cts.IsCancellationRequested && !ctx.Cancellation.IsCancellationRequested, timeout));
            }
            if (!client.IsSecure && mode == "auto")
                ctx.Warn($"{target.Server} offered no STARTTLS: this session is not encrypted, and anyone on the path can read or change it (tls=starttls refuses such a server).");
            session.Phases.Add(new MailPhase(client.IsSecure ? "tls" : phase, true, Ms(t0),
                client.IsSecure ? $"{client.SslProtocol}, {client.SslCipherSuite}" : "no TLS (the server did not offer STARTTLS or tls=none)"));

            var user = ctx.Get(MailArgs.User) ?? target.User ?? target.Endpoint.Setting("user");
            SecretValue? password = ctx.GetSecret(MailArgs.Password) ?? target.Endpoint.Secret(ctx, "password");
            if (authenticate && (user is not null || password is not null))
            {
                var ta = Stopwatch.GetTimestamp();
                if (user is null || password is null)
                    throw session.Fail("auth", ta, ReshError.Usage(user is null ? "A password was given without a user name." : $"User {user} was given without a password.",
                        "Give both user= (or user@ in the target) and password=secret:NAME, env:VAR or file:PATH."));
                if (!client.IsSecure && mode != "none")
                    throw session.Fail("auth", ta, ReshError.Failed($"{target.Server} offered no TLS, so the password would cross the network in the clear; nothing was sent.",
                        "Use a server or port with STARTTLS or TLS (tls=implicit for 465/993), or say tls=none to send it anyway."));
                if (!client.IsSecure)
                    ctx.Warn($"tls=none: the password for {user} crosses the network to {target.Server} in the clear.");
                try
                {
                    await client.AuthenticateAsync(new NetworkCredential(user, password.Reveal()), cts.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not MailPhaseException)
                {
                    throw session.Fail("auth", ta, Translate(e, "auth", session, cts.IsCancellationRequested && !ctx.Cancellation.IsCancellationRequested, timeout));
                }
                session.Authenticated = true;
                session.Phases.Add(new MailPhase("auth", true, Ms(ta), $"as {user}"));
            }
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    async Task<Socket> ConnectSocketAsync(CancellationToken ct, TimeSpan timeout)
    {
        var t0 = Stopwatch.GetTimestamp();
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(Target.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(Target.Host, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            throw Fail("connect", t0, ReshError.NotFound($"The host name {Target.Host} does not resolve.", "Check the name, or use an address."));
        }
        catch (OperationCanceledException)
        {
            throw Fail("connect", t0, ReshError.Timeout($"Resolving {Target.Host} took longer than {timeout.TotalSeconds:0.###} s.", null));
        }
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, Target.Port), ct).ConfigureAwait(false);
                Phases.Add(new MailPhase("connect", true, Ms(t0), address.ToString()));
                return socket;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                last = e;
                if (e is OperationCanceledException) break;
            }
        }
        var error = last is OperationCanceledException
            ? ReshError.Timeout($"Connecting to {Target.Server} took longer than {timeout.TotalSeconds:0.###} s.", "Check the host and port, or raise timeout=.")
            : ReshError.Unavailable($"Cannot connect to {Target.Server}: {ExceptionTranslation.OneLine(last?.Message ?? "no address")}.",
                $"Check that the {(Target.Protocol == MailProtocol.Smtp ? "SMTP" : "IMAP")} server is running and listening on that port.");
        throw Fail("connect", t0, error);
    }

    MailPhaseException Fail(string phase, long start, ReshError error)
    {
        Phases.Add(new MailPhase(phase, false, Ms(start), error.Message));
        var details = error.Details ?? new JsonObject();
        details["phase"] = phase;
        details["server"] = Target.Server;
        details["phases"] = PhasesJson();
        // Session phases (connect, greeting, tls, auth) come before any message: nothing was sent, so --retry may repeat a send.
        return new MailPhaseException(phase, error with { Details = details, NotSent = true });
    }

    public JsonArray PhasesJson() => new(Phases.Select(p => (JsonNode?)new JsonObject
    {
        ["phase"] = p.Phase, ["ok"] = p.Ok, ["ms"] = p.Ms, ["detail"] = p.Detail,
    }).ToArray());

    /// <summary>A MailKit or socket exception of a phase, as an envelope error naming the phase.</summary>
    public static ReshError Translate(Exception e, string phase, MailSession? session, bool timedOut, TimeSpan timeout)
    {
        var server = session?.Target.Server ?? "the server";
        if (timedOut || e is TimeoutException || (e is IOException { InnerException: SocketException { SocketErrorCode: SocketError.TimedOut } }))
            return ReshError.Timeout($"{server} did not answer within {timeout.TotalSeconds:0.###} s during {phase}.", "Raise timeout= or check the server.");
        if (e is TimeoutException || e.InnerException is TimeoutException)
            return ReshError.Timeout($"{server} did not answer within {timeout.TotalSeconds:0.###} s during {phase}.", "Raise timeout= or check the server.");
        if ((e as ReplyTooLargeException ?? e.InnerException as ReplyTooLargeException) is { } big)
            return ReshError.Failed($"{server} sent more than {Resh.Core.Values.SizeValue.Format(big.Limit)} in answer to one command during {phase}; the connection was closed.",
                phase == "command" ? "A message larger than that needs a larger max_size= (fetch); otherwise the server is misbehaving." : "The server is misbehaving or is not a mail server.",
                new JsonObject { ["limit_bytes"] = big.Limit });
        return e switch
        {
            SslHandshakeException => ReshError.Failed(
                session?.Trust.LastFailure is { } why ? $"The certificate of {server} was refused ({why})."
                    : $"The TLS handshake with {server} failed: {ExceptionTranslation.OneLine(FirstLine(e.Message))}",
                TlsTrust.Hint),
            NotSupportedException when phase == "tls" => ReshError.Failed($"{server} does not offer STARTTLS, and tls=starttls requires it.",
                "Use tls=implicit for a TLS port (465/993), or tls=auto to go on without TLS."),
            AuthenticationException => ReshError.PermissionDenied($"{server} refused the login: {ExceptionTranslation.OneLine(e.Message)}",
                "Check user= and password= (the password is never shown)."),
            NotSupportedException when phase == "auth" => ReshError.Unsupported($"{server} offers no authentication mechanism resh can use here: {ExceptionTranslation.OneLine(e.Message)}",
                "Servers usually offer AUTH only after STARTTLS; check tls=."),
            SmtpCommandException sc => ReshError.Failed($"{server} refused the command during {phase}: {(int)sc.StatusCode} {ExceptionTranslation.OneLine(sc.Message)}",
                "Read the server's answer; check the addresses and the server's policy.",
                new JsonObject { ["status"] = (int)sc.StatusCode, ["mailbox"] = sc.Mailbox?.Address }) with
                {
                    // 4xx is SMTP's "try again later"; a sender or recipient refused means DATA never started.
                    Transient = (int)sc.StatusCode is >= 400 and < 500,
                    NotSent = sc.ErrorCode is SmtpErrorCode.SenderNotAccepted or SmtpErrorCode.RecipientNotAccepted,
                },
            SmtpProtocolException or ImapProtocolException => ReshError.Failed($"{server} broke the protocol during {phase}: {ExceptionTranslation.OneLine(e.Message)}",
                "Check that the port belongs to an SMTP (send, test) or IMAP (list, search, fetch...) server."),
            ImapCommandException ic => ReshError.Failed($"{server} refused the IMAP command during {phase}: {ExceptionTranslation.OneLine(ic.ResponseText ?? ic.Message)}", null),
            FolderNotFoundException fn => ReshError.NotFound($"The folder {fn.FolderName} does not exist on {server}.", "List the folders with .list."),
            IOException or SocketException => ReshError.Unavailable($"The connection to {server} failed during {phase}: {ExceptionTranslation.OneLine(e.Message)}",
                "Check the server, its port and the tls= mode (implicit TLS ports are 465 and 993)."),
            _ => ExceptionTranslation.ToError(e, server),
        };
    }

    static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();

    static string LocalDomain()
    {
        try
        {
            var name = Dns.GetHostName();
            return EndpointResolver.IsHostName(name) ? name : "localhost";
        }
        catch (SocketException) { return "localhost"; }
    }

    public static double Ms(long from) => Math.Round(Stopwatch.GetElapsedTime(from).TotalMilliseconds, 3);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Client.IsConnected)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Client.DisconnectAsync(true, cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ProtocolException or CommandException or InvalidOperationException) { }
        Client.Dispose();
    }
}
