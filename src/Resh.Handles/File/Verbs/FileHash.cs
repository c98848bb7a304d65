using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

public static class FileHash
{
    static readonly Arg<string?> Algorithm = Arg.Enum("algorithm", "Digest to compute.", ["sha256", "sha1", "sha512", "md5"], "sha256", aliases: ["algo"]);
    static readonly Arg<string?> Expected = Arg.String("expected", "Fail with `conflict` unless the digest equals this hex string (case-insensitive).");

    public static readonly VerbInfo Verb = VerbInfo.Define("hash", Effect.Read,
        "Compute a file's digest (sha256 default, sha1, sha512, md5), streaming in constant memory.",
        [Algorithm, Expected], () => FileJson.Default.FileHashResult, RunAsync,
        examples:
        [
            new("file:///etc/hosts.hash", "sha256 of /etc/hosts."),
            new("file:///tmp/image.iso.hash algorithm=sha512 expected=9f86d0...", "Verify a download."),
            new("file:///tmp/image.iso.hash --format raw", "Just the hex digest."),
        ],
        notes: "Reads 1 MiB blocks, reading the next block while hashing the current one, so memory stays constant for files of any size. A mismatch with `expected` is `conflict` with both digests in `details`.").WithPathConfinement();

    const int BlockSize = 1 << 20;

    static async ValueTask<Outcome<FileHashResult>> RunAsync(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        // Under a surface's path patterns the file is opened through descriptors and judged on the kernel's name of the
        // open file, whose stat and bytes are all that is used after (PathConfinement); elsewhere by path as ever.
        var confinedHandle = PathConfinement.OpenRead(path, Posix.O_RDONLY, out var confinedErrno, out var confined);
        if (confined && confinedHandle is null)
            return confinedErrno is 2 or 20 ? FileMetadata.NotFound(path) : FileErrors.FromErrno(confinedErrno, path, "read");
        FileStatus st;
        if (confinedHandle is not null)
        {
            var fst = Posix.FStat((int)confinedHandle.DangerousGetHandle(), out var serr);
            if (fst is null) { confinedHandle.Dispose(); return FileErrors.FromErrno(serr, path, "read"); }
            st = fst.Value;
        }
        else st = FileMetadata.StatOrThrow(path, follow: true);
        if (st.IsDirectory)
        {
            confinedHandle?.Dispose();
            return ReshError.Usage($"{path} is a directory.", "Hash a file; list the directory to find them.");
        }
        var algorithm = ctx.Get(Algorithm)!;
        var name = algorithm switch
        {
            "sha1" => HashAlgorithmName.SHA1,
            "sha512" => HashAlgorithmName.SHA512,
            "md5" => HashAlgorithmName.MD5,
            _ => HashAlgorithmName.SHA256,
        };

        string digest;
        long size;
        try
        {
            (digest, size) = await ComputeAsync(ctx, path, confinedHandle, name, st.IsRegular ? st.Size : null).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return FileErrors.FromException(ex, path, "read");
        }
        string? expected = ctx.Get(Expected)?.Trim().ToLowerInvariant();
        bool? matches = expected is null ? null : expected == digest;
        if (matches == false)
            return ReshError.Conflict($"The {algorithm} of {path} does not match the expected digest.", "The file differs from what was expected: download or copy it again.",
                new JsonObject { ["path"] = path, ["algorithm"] = algorithm, ["expected"] = expected, ["actual"] = digest, ["size"] = size });
        return new Outcome<FileHashResult>(new FileHashResult(FilePaths.Display(path), algorithm, digest, size, matches), false).WithRaw(RawPayload.FromText(digest));
    }

    /// <summary>Double-buffered: the next block is read on the thread pool while this one is hashed.</summary>
    static async Task<(string Digest, long Size)> ComputeAsync(VerbContext ctx, string path, Microsoft.Win32.SafeHandles.SafeFileHandle? opened, HashAlgorithmName name, long? total)
    {
        // Unbuffered (bufferSize 1) sequential reads: regular files, pipes and devices alike; one read in flight at a time.
        var handle = opened ?? Posix.OpenHandle(Posix.AT_FDCWD, path, Posix.O_RDONLY, 0, out var errno)
            ?? throw FileErrors.Throw(errno, path, "read");
        Posix.AdviseSequential((int)handle.DangerousGetHandle());
        using var stream = new FileStream(handle, FileAccess.Read, 1);
        using var hash = IncrementalHash.CreateHash(name);
        using var progress = ctx.Progress("hash", total);
        var current = new byte[BlockSize];
        var next = new byte[BlockSize];
        long offset = 0;
        int n = ReadBlock(stream, current);
        while (n > 0)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            offset += n;
            var buffer = next;
            var pending = Task.Run(() => ReadBlock(stream, buffer));
            hash.AppendData(current, 0, n);
            if (progress.Enabled) progress.Report(offset);
            n = await pending.ConfigureAwait(false);
            (current, next) = (next, current);
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), offset);
    }

    /// <summary>Fills the buffer unless the end comes first (pipes return short reads).</summary>
    static int ReadBlock(FileStream stream, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
