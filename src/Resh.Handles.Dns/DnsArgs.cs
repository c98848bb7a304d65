using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Dns;

/// <summary>The arguments the dns:// verbs share, declared once.</summary>
internal static class DnsArgs
{
    public static readonly Arg<string?> Server = Arg.String("server",
        "Name server to ask: IP, IP:PORT, [IPv6]:PORT or a host name (default: the system's resolvers from /etc/resolv.conf).",
        examples: ["127.0.0.1:5353", "192.0.2.53", "[::1]:53"]);
    public static readonly Arg<long?> Port = Arg.Int("port", "Port of the server (default 53, or the port in server=).", min: 1, max: 65535);
    public static readonly Arg<bool> Tcp = Arg.Bool("tcp", "Ask over TCP only (default: UDP, retried over TCP when the answer is truncated).");
    public static readonly Arg<TimeSpan?> Timeout = Arg.Duration("timeout", "Give up on a server that has not answered after this long.", TimeSpan.FromSeconds(5));
    public static readonly Arg<string?> Type = Arg.String("type", "Record type: A, AAAA, MX, TXT, NS, SOA, CNAME, SRV, PTR, CAA, DS, DNSKEY, ANY... or TYPEnnn.", "A",
        examples: ["MX", "TXT", "TYPE65"]);

    // TSIG (RFC 8945): the key's name, secret and algorithm, or a BIND key file (tsig-keygen output) with all three.
    public static readonly Arg<string?> KeyName = Arg.String("key_name", "Name of the TSIG key (as the server knows it).", examples: ["resh-key"]);
    public static readonly Arg<SecretRef?> Key = Arg.Secret("key", "TSIG key secret, base64 (as in the server's key statement).");
    public static readonly Arg<string?> Algorithm = Arg.Enum("algorithm", "TSIG algorithm.",
        ["hmac-sha256", "hmac-sha512", "hmac-sha384", "hmac-sha224", "hmac-sha1", "hmac-md5"], "hmac-sha256");
    public static readonly Arg<string?> KeyFile = Arg.String("key_file",
        "BIND key file (`key \"NAME\" { algorithm ...; secret \"...\"; };`, what tsig-keygen writes) giving the key's name, algorithm and secret; read here, never passed on.", path: PathUse.Read);

    public static ArgInfo[] Connection => [Server, Port, Tcp, Timeout];
    public static ArgInfo[] Tsig => [KeyName, Key, Algorithm, KeyFile];
}
