using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cert.Verbs;

public static class CertExpiryVerb
{
    static readonly Arg<long?> WarnDays = Arg.Int("warn_days", "Fail with `conflict` when fewer days than this are left (0: only once expired).", 0, min: 0, max: 100000);

    public static readonly VerbInfo Verb = VerbInfo.Define("expiry", Effect.Read,
        "Days left before a certificate (file or endpoint) expires; `conflict` below warn_days, for monitoring.",
        [WarnDays, CertLoad.Password, CertLoad.ServerName, CertLoad.StartTls], () => CertJson.Default.CertExpiryResult, RunAsync,
        examples:
        [
            new("'cert://127.0.0.1:8443.expiry(warn_days=30)'", "Exit 5 when the served certificate has less than 30 days left."),
            new("cert:///etc/ssl/certs/ssl-cert-snakeoil.pem.expiry --format raw", "Just the days left."),
        ],
        notes: "A certificate not valid yet (not_before in the future) is `conflict` too. With --format raw the days left are printed also below warn_days, with exit status 5. The leaf (first) certificate decides; the chain's earliest expiry is reported too. Days are whole days, rounded down (negative once expired), as `openssl x509 -checkend` counts seconds.");

    static async ValueTask<Outcome<CertExpiryResult>> RunAsync(VerbContext ctx)
    {
        var target = CertTarget.Parse(ctx);
        using var m = await CertLoad.ReadAsync(ctx, target).ConfigureAwait(false);
        if (m.Certificates.Count == 0)
            return ReshError.Usage($"{target.Display} holds no certificate.", "Name a certificate file or a TLS endpoint.");
        var now = DateTimeOffset.UtcNow;
        var leaf = CertDescribe.Certificate(m.Certificates[0], now);
        var first = m.Certificates.MinBy(c => c.NotAfter)!;
        var warn = ctx.Get(WarnDays) ?? 0;
        var result = new CertExpiryResult(target.Display, leaf.Subject, leaf.NotAfter, leaf.DaysLeft, leaf.Expired, warn,
            CertDescribe.Rfc3339(new DateTimeOffset(first.NotAfter.ToUniversalTime(), TimeSpan.Zero)), first.SubjectName.Name, leaf.NotBefore, leaf.NotYetValid);
        var days = RawPayload.FromText(leaf.DaysLeft.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (leaf.Expired || leaf.DaysLeft < warn || leaf.NotYetValid)
        {
            // --format raw still prints the days left (a monitoring script reads the number) and exits 5 (conflict), as the envelope would.
            if (ctx.WantsRaw)
            {
                ctx.ExitStatus = ErrorCode.Conflict.ExitStatus();
                return new Outcome<CertExpiryResult>(result, false).WithRaw(days);
            }
            return ReshError.Conflict(
                leaf.NotYetValid ? $"The certificate of {target.Display} is not valid yet: its validity starts on {leaf.NotBefore}."
                : leaf.Expired ? $"The certificate of {target.Display} expired on {leaf.NotAfter}."
                : $"The certificate of {target.Display} expires in {leaf.DaysLeft} days (warn_days={warn}).",
                leaf.NotYetValid ? "Check the clock of the machine that issued it (and this one's), or reissue it."
                : "Renew it and deploy the new one: cert:// renew for a local CA's or a self-signed certificate, acme.renew for one from an ACME CA.",
                new JsonObject
                {
                    ["target"] = target.Display, ["subject"] = leaf.Subject, ["not_before"] = leaf.NotBefore, ["not_after"] = leaf.NotAfter, ["days_left"] = leaf.DaysLeft,
                    ["expired"] = leaf.Expired, ["not_yet_valid"] = leaf.NotYetValid, ["warn_days"] = warn,
                });
        }
        return new Outcome<CertExpiryResult>(result, false).WithRaw(days);
    }
}
