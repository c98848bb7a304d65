using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Mail;

/// <summary>The connection arguments every mail:// verb shares (SPEC §9), declared once.</summary>
internal static class MailArgs
{
    public static readonly Arg<string?> User = Arg.String("user", "Login name (default: user@ of the target or `user` of the connection's config table).");
    public static readonly Arg<SecretRef?> Password = Arg.Secret("password", "Password for AUTH (SMTP) or LOGIN (IMAP).");
    public static readonly Arg<string?> Tls = Arg.Enum("tls",
        "auto (default): implicit TLS on ports 465/993, else STARTTLS when the server offers it; starttls: required; implicit: TLS from the first byte; " +
        "none: plaintext (a password is then sent in the clear); insecure: as auto without certificate verification (adds a warning).",
        ["auto", "starttls", "implicit", "none", "insecure"], "auto");
    public static readonly Arg<string?> Ca = Arg.String("ca", "PEM file of the certificate authority to trust instead of the system store.", path: PathUse.Read);
    public static readonly Arg<TimeSpan?> Timeout = Arg.Duration("timeout", "Give up (error `timeout`) when one network operation takes longer.", TimeSpan.FromSeconds(30));

    public static ArgInfo[] Common => [User, Password, Tls, Ca, Timeout];
}
