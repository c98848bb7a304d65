using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Resh.Core.Endpoints;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace Resh.Handles.Cache.Redis;

/// <summary>
/// Puts <see cref="RespGuardStream"/> between StackExchange.Redis and the server. The client would wrap TLS around
/// whatever stream a tunnel returns, so the guard would see ciphertext: with TLS this tunnel does the handshake itself
/// (the same <see cref="TlsTrust"/> check and chain policy the client was given before) and guards the plaintext,
/// and the client's own TLS is off.
/// </summary>
internal sealed class GuardTunnel(RedisReplyLimit limit, TlsTrust? trust, string host) : Tunnel
{
    public override async ValueTask<Stream?> BeforeAuthenticateAsync(EndPoint endpoint, ConnectionType connectionType, Socket? socket, CancellationToken cancellationToken)
    {
        if (socket is null) return null;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (trust is not null)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = host,
                RemoteCertificateValidationCallback = trust.Validate,
            };
            if (trust.ChainPolicy() is { } policy) options.CertificateChainPolicy = policy;
            try { await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false); }
            catch
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            stream = ssl;
        }
        return new RespGuardStream(stream, limit);
    }
}
