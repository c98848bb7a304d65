using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

public static class HttpProbe
{
    static readonly Arg<string?> Method = Arg.Enum("method", "GET (default) or HEAD.", ["GET", "HEAD"], "GET");
    static readonly Arg<long?> MinDays = Arg.Int("min_cert_days", "Fail when the server certificate expires in fewer days.", min: 0);
    static readonly Arg<bool> FollowProbe = Arg.Bool("follow", "Follow redirects (a probe reports the first answer by default, like curl -w).", false);

    public static VerbInfo Create(string scheme) => VerbInfo.Define("probe", Effect.Read,
        "Check a URL: status against expect= (default 2xx/3xx), timings of each phase (dns, connect, tls, first byte, total) and certificate days left.",
        [Method, MinDays, FollowProbe, .. HttpArgs.Common.Where(a => a.Name is not ("follow" or "output"))], () => HttpJson.Default.HttpProbeResult,
        RunAsync,
        examples: HttpCall.Examples(scheme, [
            new("https://example.com/.probe", "Status, timings, certificate days left."),
            new("https://example.com/health.probe expect=200 min_cert_days=14", "Fail unless 200 and the certificate is good for 14 more days."),
        ]),
        notes: "The body is read (up to max_body) and discarded so the total time is real; its size is reported.");

    static async ValueTask<Outcome<HttpProbeResult>> RunAsync(VerbContext ctx)
    {
        var spec = HttpRequestSpec.Build(ctx, ctx.Get(Method)!, withBody: false, followOverride: ctx.Get(FollowProbe));
        var expect = StatusExpectation.Parse(ctx.Get(HttpArgs.Expect), "2xx,3xx");
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        if (spec.Timeout is { } t) timeoutCts.CancelAfter(t);
        ExchangeResult? ex = null;
        try
        {
            ex = await HttpExchange.SendAsync(ctx, spec, timeoutCts.Token).ConfigureAwait(false);
            var stream = await ex.Response.Content.ReadAsStreamAsync(timeoutCts.Token).ConfigureAwait(false);
            long bytes = 0;
            var buffer = new byte[64 * 1024];
            int n;
            var max = ctx.Get(HttpArgs.MaxBody)!.Value;
            while (bytes < max && (n = await stream.ReadAsync(buffer, timeoutCts.Token).ConfigureAwait(false)) > 0) bytes += n;
            var end = Stopwatch.GetTimestamp();
            var tls = HttpCall.Tls(ex, spec.Connector);
            ex.Response.Dispose();
            var status = ex.Status;
            var matched = (expect.IsDefault ? status is >= 200 and < 400 : expect.Matches(status));
            var result = new HttpProbeResult(ex.Url.ToString(), status, matched, ex.Version, HttpCall.Timings(ex, end), tls, tls?.DaysLeft, bytes, ex.Redirects);
            if (!matched)
                return ReshError.Failed($"{ex.Url} answered {status}, expected {expect.Text}.", $"expect={status} accepts it.",
                    new JsonObject { ["status"] = status, ["expected"] = expect.Text, ["total_ms"] = result.Timings.TotalMs });
            if (ctx.Get(MinDays) is { } min && tls is not null && tls.DaysLeft < min)
                return ReshError.Failed($"The certificate of {ex.Url.Host} expires in {tls.DaysLeft} days (less than {min}).", "Renew the certificate.",
                    new JsonObject { ["days_left"] = tls.DaysLeft, ["not_after"] = tls.NotAfter, ["subject"] = tls.Subject });
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ctx.Cancellation.IsCancellationRequested)
        {
            ex?.Response.Dispose();
            return HttpExchange.Translate(e, ex?.Url ?? spec.Url, spec.Connector, timeoutCts.IsCancellationRequested && !ctx.Cancellation.IsCancellationRequested, spec.Timeout);
        }
    }
}
