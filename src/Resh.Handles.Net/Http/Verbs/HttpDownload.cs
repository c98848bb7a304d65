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
        // Everything below is relative to the held output directory: the .part and the final name are opened and
        // renamed with openat/renameat, never by a path another user could swap for a symlink.
        using var dir = DirHandle.Open(Path.GetDirectoryName(output)!);
        var leaf = Path.GetFileName(output);
        var partLeaf = leaf + ".part";
        if (expected is not null)
        {
            // O_NOFOLLOW|O_NONBLOCK and a regular-file check: a FIFO or symlink planted at OUTPUT neither blocks nor counts.
            await using var existing = dir.OpenRead(leaf);
            if (existing is not null && Convert.ToHexStringLower(await SHA256.HashDataAsync(existing, ctx.Cancellation).ConfigureAwait(false)) == expected)
                return new HttpDownloadResult(spec.Url.ToString(), output, 0, existing.Length, 0, 0, expected, true, 0,
                    clock.Elapsed.TotalMilliseconds, 0, []);
        }
        if (ctx.DryRun)
            return Outcome.Changed(new HttpDownloadResult(spec.Url.ToString(), output, 0, 0, 0, 0, null, false, 0, 0, 0, []));
        var part = output + ".part";
        var finalMode = OutputFile.FinalMode(dir, leaf);
        FileStream opened;
        try { opened = OutputFile.OpenPart(dir, partLeaf, ctx.Get(Resume), ctx.Warn); }
        catch (IOException e)
        {
            // Nothing was sent yet: the local file is the problem (a read-only or pseudo file system such as /proc, EACCES).
            var why = e.HResult is Posix.EACCES or Posix.EPERM ? "permission denied" : ExceptionTranslation.OneLine(e.Message);
            var error = $"Cannot create {part} next to output= (nothing was downloaded): {why}.";
            var hint = "output= must name a file in a directory where this user may create files (/proc and /sys take no new files).";
            return e.HResult is Posix.EACCES or Posix.EPERM ? ReshError.PermissionDenied(error, hint) : ReshError.Failed(error, hint, new JsonObject { ["part"] = part, ["local"] = true });
        }
        await using var fs = opened;
        var retries = (int)ctx.Get(DownloadRetries)!.Value;
        var idle = ctx.Get(DownloadTimeout)!.Value;
        long received = 0, resumedFrom = 0;
        int attempts = 0, status = 0;
        List<HttpRedirect> redirects = [];
        ReshError? lastError = null;
        using var progress = ctx.Progress("download " + Path.GetFileName(output), null);
        for (int attempt = 0; attempt <= retries; attempt++)
        {
            var offset = RandomAccess.GetLength(fs.SafeFileHandle); // fstat of the descriptor resh holds, never the size of whatever the name points to
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
                    resumedFrom = offset;
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
                    // Nothing was received: an empty .part this call made is not left behind (an older one it resumed is kept).
                    if (RandomAccess.GetLength(fs.SafeFileHandle) == 0) DiscardPart(dir, partLeaf, fs);
                    return HttpCall.StatusError(ex, StatusExpectation.Parse(["2xx"]), excerpt, response.Content.Headers.ContentType?.ToString());
                }
                var append = status == 206 && offset > 0 && response.Content.Headers.ContentRange?.From == offset;
                // The offset the transfer that completes the file started from: an earlier call's .part or a cut
                // connection of this call; 0 when the server ignored Range and the file started over.
                resumedFrom = append ? offset : 0;
                var total = response.Content.Headers.ContentLength is { } len ? (append ? offset + len : len) : (long?)null;
                progress.SetTotal(total);
                var body = await response.Content.ReadAsStreamAsync(idleCts.Token).ConfigureAwait(false);
                // pwrite/ftruncate/fsync on the descriptor itself (no FileStream buffer that could fail again on dispose).
                var handle = fs.SafeFileHandle;
                if (!append) LocalWrite(part, Posix.FTruncate((int)handle.DangerousGetHandle(), 0));
                var buffer = new byte[1024 * 1024];
                long done = append ? offset : 0;
                progress.Report(done);
                int n;
                while ((n = await body.ReadAsync(buffer, idleCts.Token).ConfigureAwait(false)) > 0)
                {
                    try { RandomAccess.Write(handle, buffer.AsSpan(0, n), done); }
                    catch (IOException e) { throw LocalError(part, e.Message); }
                    received += n;
                    done += n;
                    progress.Report(done);
                    idleCts.CancelAfter(idle);
                }
                LocalWrite(part, Posix.FSync((int)handle.DangerousGetHandle()));
                if (total is { } expectedLen && done != expectedLen)
                    throw new IOException($"the body ended after {done} of {expectedLen} bytes");
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
            var kept = RandomAccess.GetLength(fs.SafeFileHandle);
            if (kept == 0) DiscardPart(dir, partLeaf, fs);
            return lastError with
            {
                Hint = kept > 0 ? $"{kept} bytes are kept in {part}; run the same download again to resume." : lastError.Hint,
                Details = (lastError.Details ?? new JsonObject()).Also(d => d["part"] = part),
            };
        }
        string? digest = null;
        if (expected is not null)
        {
            // Hashed through the descriptor resh wrote, not by name.
            var rfd = Posix.OpenAt(Posix.AT_FDCWD, $"/proc/self/fd/{fs.SafeFileHandle.DangerousGetHandle()}", Posix.O_RDONLY);
            if (rfd < 0) return ReshError.Failed($"Cannot read back {part}: {Posix.StrError(-rfd)}.", null);
            using (var reader = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(rfd, ownsHandle: true), FileAccess.Read, 1 << 16))
                digest = Convert.ToHexStringLower(await SHA256.HashDataAsync(reader, ctx.Cancellation).ConfigureAwait(false));
            if (digest != expected)
            {
                DiscardPart(dir, partLeaf, fs);
                return ReshError.Failed($"The download's SHA-256 is {digest}, not the expected {expected}; the file was discarded.",
                    "Check the URL and the digest.", new JsonObject { ["expected"] = expected, ["actual"] = digest, ["url"] = spec.Url.ToString() });
            }
        }
        var fd = (int)fs.SafeFileHandle.DangerousGetHandle();
        var size = RandomAccess.GetLength(fs.SafeFileHandle);
        // The same bytes as the file already there: nothing to change (a second run of the same download is
        // changed:false, as Ansible's get_url reports it); the file keeps its inode, mode and times.
        await using (var existing = dir.OpenRead(leaf))
        {
            if (existing is not null && existing.Length == size && SameAsPart(existing.SafeFileHandle, fd, size))
            {
                DiscardPart(dir, partLeaf, fs);
                var same = clock.Elapsed.TotalMilliseconds;
                return Outcome.Unchanged(new HttpDownloadResult(spec.Url.ToString(), output, status, size, received, resumedFrom, digest, false, attempts,
                    Math.Round(same, 3), same > 0 ? Math.Round(received / (same / 1000)) : 0, redirects));
            }
        }
        Posix.FChmod(fd, finalMode);
        if (Posix.FStat(fd, out _) is not { } mine || Posix.StatAt(dir.Fd, partLeaf, follow: false, out _) is not { } named
            || mine.Inode != named.Inode || mine.DevMajor != named.DevMajor || mine.DevMinor != named.DevMinor)
            return ReshError.Conflict($"{part} was replaced by someone else during the download; nothing was put in place.",
                "Download into a directory other users cannot write.");
        dir.Rename(partLeaf, leaf);
        Posix.FSync(dir.Fd);
        var ms = clock.Elapsed.TotalMilliseconds;
        return Outcome.Changed(new HttpDownloadResult(spec.Url.ToString(), output, status, size, received, resumedFrom, digest, false, attempts,
            Math.Round(ms, 3), ms > 0 ? Math.Round(received / (ms / 1000)) : 0, redirects));
    }

    /// <summary>A failure of the local file (disk full, quota, I/O error) is the file's, not the connection's: it ends
    /// the call without retrying the server.</summary>
    static ReshException LocalError(string part, string why) =>
        ReshError.Failed($"Cannot write {part}: {ExceptionTranslation.OneLine(why)}",
            "Free space on that file system (or choose another output=), then run the same download again to resume.",
            new JsonObject { ["part"] = part, ["local"] = true }).ToException();

    static void LocalWrite(string part, int errno)
    {
        if (errno != 0) throw LocalError(part, Posix.StrError(errno));
    }

    /// <summary>Removes the .part resh wrote (only if the name still is that file).</summary>
    /// <summary>Whether the file open at <paramref name="existing"/> holds the bytes of the .part (reopened read-only through
    /// /proc/self/fd: the descriptor resh wrote may be write-only).</summary>
    static bool SameAsPart(Microsoft.Win32.SafeHandles.SafeFileHandle existing, int partFd, long length)
    {
        var rfd = Posix.OpenAt(Posix.AT_FDCWD, $"/proc/self/fd/{partFd}", Posix.O_RDONLY);
        if (rfd < 0) return false;
        using var part = new Microsoft.Win32.SafeHandles.SafeFileHandle(rfd, ownsHandle: true);
        return FileCompare.SameBytes(existing, part, length);
    }

    static void DiscardPart(DirHandle dir, string partLeaf, FileStream fs)
    {
        if (Posix.FStat((int)fs.SafeFileHandle.DangerousGetHandle(), out _) is { } mine
            && Posix.StatAt(dir.Fd, partLeaf, follow: false, out _) is { } named && mine.Inode == named.Inode)
            dir.Unlink(partLeaf);
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

    static JsonObject Also(this JsonObject o, Action<JsonObject> change)
    {
        change(o);
        return o;
    }
}
