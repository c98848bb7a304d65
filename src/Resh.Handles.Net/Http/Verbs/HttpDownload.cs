using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Net.Http;

/// <summary>
/// Downloads into OUTPUT.part, resuming with Range after a cut connection (within the call, up to retries=)
/// or from a .part an earlier call left; checks sha256= before the atomic rename; idempotent when the file
/// already has the expected digest.
/// </summary>
public static class HttpDownload
{
    static readonly Arg<string?> Sha256 = Arg.String("sha256", "Expected SHA-256 (hex): checked before the file is put in place; an existing file that matches is not downloaded again.");
    static readonly Arg<bool> Resume = Arg.Bool("resume", "Continue a download from OUTPUT.part left by an earlier call (Range request).", true);
    static readonly Arg<long?> DownloadRetries = Arg.Int("retries", "Times to resume after the connection is cut or a transient error.", 3, min: 0, max: 50);
    static readonly Arg<TimeSpan?> DownloadTimeout = Arg.Duration("timeout", "Give up when no byte arrives for this long (the transfer itself may take longer).", TimeSpan.FromSeconds(60));

    public static VerbInfo Create(string scheme) => VerbInfo.Define("download", Effect.Mutate,
        "Download to a file: atomic (OUTPUT.part renamed when complete), resumable with Range, sha256= checked, progress bar on a terminal.",
        [Sha256, Resume, DownloadRetries, DownloadTimeout,
         .. HttpArgs.Common.Where(a => a.Name is not ("retries" or "timeout" or "max_body" or "compressed" or "expect"))],
        () => HttpJson.Default.HttpDownloadResult, RunAsync,
        examples: HttpCall.Examples(scheme, [
            new("'http://127.0.0.1:8080/big.bin.download(output=/tmp/big.bin)'", "Download to /tmp/big.bin."),
            new("https://example.com/release.tar.gz.download sha256=9f86d08... output=/opt/dl/", "Into a directory, checked against a digest."),
        ]),
        notes: "Without output= the file is named after the URL's last path segment, in the current directory; a directory as output= keeps that name inside it. " +
               "The body is saved as sent (no Accept-Encoding), so a resumed download is byte-exact.");

    static async ValueTask<Outcome<HttpDownloadResult>> RunAsync(VerbContext ctx)
    {
        var spec = HttpRequestSpec.Build(ctx, "GET", withBody: false, retriesOverride: 0, compressed: false);
        var output = OutputPath(ctx, spec.Url);
        var expected = ctx.Get(Sha256)?.Trim().ToLowerInvariant();
        if (expected is not null && (expected.Length != 64 || !expected.All(char.IsAsciiHexDigit)))
            return ReshError.Usage("sha256= must be 64 hexadecimal digits.", null);
        var clock = Stopwatch.StartNew();
        if (expected is not null && File.Exists(output) && await HashFileAsync(output, ctx.Cancellation).ConfigureAwait(false) == expected)
            return new HttpDownloadResult(spec.Url.ToString(), output, 0, new FileInfo(output).Length, 0, 0, expected, true, 0,
                clock.Elapsed.TotalMilliseconds, 0, []);
        if (ctx.DryRun)
            return Outcome.Changed(new HttpDownloadResult(spec.Url.ToString(), output, 0, 0, 0, 0, null, false, 0, 0, 0, []));
        var part = output + ".part";
        if (!ctx.Get(Resume) && File.Exists(part)) File.Delete(part);
        var retries = (int)ctx.Get(DownloadRetries)!.Value;
        var idle = ctx.Get(DownloadTimeout)!.Value;
        long received = 0, resumedFrom = 0;
        int attempts = 0, status = 0;
        List<HttpRedirect> redirects = [];
        ReshError? lastError = null;
        using var progress = ctx.Progress("download " + Path.GetFileName(output), null);
        for (int attempt = 0; attempt <= retries; attempt++)
        {
            var offset = File.Exists(part) ? new FileInfo(part).Length : 0;
            if (attempt == 0) resumedFrom = offset;
            using var idleCts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
            idleCts.CancelAfter(idle);
            ExchangeResult? ex = null;
            try
            {
                attempts++;
                List<KeyValuePair<string, string>> range = offset > 0 ? [new("Range", $"bytes={offset}-")] : [];
                ex = await HttpExchange.SendAsync(ctx, spec, idleCts.Token, range).ConfigureAwait(false);
                redirects = ex.Redirects;
                status = ex.Status;
                var response = ex.Response;
                if (status == 416 && offset > 0 && response.Content.Headers.ContentRange?.Length is { } whole && whole == offset)
                {
                    response.Dispose();
                    break; // the .part is already complete
                }
                if (status is < 200 or >= 300)
                {
                    var (excerpt, _) = await HttpBody.ReadBoundedAsync(await response.Content.ReadAsStreamAsync(idleCts.Token).ConfigureAwait(false), 4096, idleCts.Token).ConfigureAwait(false);
                    response.Dispose();
                    if (status is 429 or 502 or 503 or 504 && attempt < retries)
                    {
                        lastError = HttpCall.StatusError(ex, StatusExpectation.Parse([], "2xx"), excerpt, null);
                        await Task.Delay(spec.RetryBackoff * (1 << Math.Min(attempt, 6)), ctx.Cancellation).ConfigureAwait(false);
                        continue;
                    }
                    return HttpCall.StatusError(ex, StatusExpectation.Parse(["2xx"]), excerpt, response.Content.Headers.ContentType?.ToString());
                }
                var append = status == 206 && offset > 0 && response.Content.Headers.ContentRange?.From == offset;
                if (!append && offset > 0 && attempt == 0) resumedFrom = 0;
                var total = response.Content.Headers.ContentLength is { } len ? (append ? offset + len : len) : (long?)null;
                progress.SetTotal(total);
                var body = await response.Content.ReadAsStreamAsync(idleCts.Token).ConfigureAwait(false);
                await using (var fs = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1))
                {
                    var buffer = new byte[1024 * 1024];
                    long done = append ? offset : 0;
                    progress.Report(done);
                    int n;
                    while ((n = await body.ReadAsync(buffer, idleCts.Token).ConfigureAwait(false)) > 0)
                    {
                        fs.Write(buffer, 0, n);
                        received += n;
                        done += n;
                        progress.Report(done);
                        idleCts.CancelAfter(idle);
                    }
                    if (total is { } expectedLen && done != expectedLen)
                        throw new IOException($"the body ended after {done} of {expectedLen} bytes");
                    fs.Flush(flushToDisk: true);
                }
                response.Dispose();
                lastError = null;
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ctx.Cancellation.IsCancellationRequested)
            {
                ex?.Response.Dispose();
                var timedOut = idleCts.IsCancellationRequested && !ctx.Cancellation.IsCancellationRequested;
                lastError = HttpExchange.Translate(e, ex?.Url ?? spec.Url, spec.Connector, timedOut, idle, received);
                if (e is ReshException || !(lastError.Transient || lastError.Code == ErrorCode.Failed && e is IOException or HttpIOException or HttpRequestException)) break;
                if (attempt < retries) ctx.Warn($"Attempt {attempt + 1}: {lastError.Message} Resuming.");
            }
        }
        if (lastError is not null)
        {
            var kept = File.Exists(part) ? new FileInfo(part).Length : 0;
            return lastError with
            {
                Hint = kept > 0 ? $"{kept} bytes are kept in {part}; run the same download again to resume." : lastError.Hint,
                Details = (lastError.Details ?? new JsonObject()).Also(d => d["part"] = part),
            };
        }
        string? digest = null;
        if (expected is not null)
        {
            digest = await HashFileAsync(part, ctx.Cancellation).ConfigureAwait(false);
            if (digest != expected)
            {
                File.Delete(part);
                return ReshError.Failed($"The download's SHA-256 is {digest}, not the expected {expected}; the file was discarded.",
                    "Check the URL and the digest.", new JsonObject { ["expected"] = expected, ["actual"] = digest, ["url"] = spec.Url.ToString() });
            }
        }
        File.Move(part, output, overwrite: true);
        LibC.FSyncDirectory(Path.GetDirectoryName(output)!);
        var size = new FileInfo(output).Length;
        var ms = clock.Elapsed.TotalMilliseconds;
        return Outcome.Changed(new HttpDownloadResult(spec.Url.ToString(), output, status, size, received, resumedFrom, digest, false, attempts,
            Math.Round(ms, 3), ms > 0 ? Math.Round(received / (ms / 1000)) : 0, redirects));
    }

    static string OutputPath(VerbContext ctx, Uri url)
    {
        var name = Uri.UnescapeDataString(url.Segments.LastOrDefault() ?? "").Trim('/');
        if (name.Length == 0 || name is "." or ".." || name.Contains('/') || name.Contains('\0')) name = "index.html";
        var output = ctx.Get(HttpArgs.Output);
        if (output is null) return Path.GetFullPath(name);
        var full = Path.GetFullPath(output);
        if (Directory.Exists(full) || output.EndsWith('/')) return Path.Combine(full, name);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw ReshError.NotFound($"The directory {dir} does not exist.", "Create it first (resh file://DIR.mkdir) or choose another output=.").ToException();
        return full;
    }

    static async Task<string> HashFileAsync(string path, CancellationToken ct)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, ct).ConfigureAwait(false));
    }

    static JsonObject Also(this JsonObject o, Action<JsonObject> change)
    {
        change(o);
        return o;
    }
}
