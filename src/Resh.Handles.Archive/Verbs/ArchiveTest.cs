using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Archive.Formats;

namespace Resh.Handles.Archive;

public static class ArchiveTest
{
    public static readonly VerbInfo Verb = VerbInfo.Define("test", Effect.Read,
        "Read every entry's data and check every checksum (gzip/xz/zstd frames, zip CRC-32, tar headers).",
        [ArchiveArgs.Password, ArchiveArgs.Format],
        () => ArchiveJson.Default.ArchiveTestResult, Run,
        examples: [new("archive:///tmp/x.tar.zst.test", "Exit 0 when intact, `failed` naming the first bad entry otherwise.")]);

    static Outcome<ArchiveTestResult> Run(VerbContext ctx)
    {
        var path = ArchivePaths.Resolve(ctx);
        var size = System.IO.File.Exists(path) ? new FileInfo(path).Length : 0;
        using var progress = ctx.Progress("test", size);
        using var reader = ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), ctx.GetSecret(ArchiveArgs.Password)?.Reveal(), n => progress.Add(n));
        Codecs.WarnIfZstdFallback(ctx, reader.Format.Codec);
        long entries = 0, bytes = 0;
        string current = "";
        var buffer = new byte[1 << 20];
        try
        {
            if (reader.Format.IsStream) throw new InvalidOperationException();
            while (reader.Next() is { } item)
            {
                ctx.Cancellation.ThrowIfCancellationRequested();
                current = item.Name;
                entries++;
                if (item.Kind != ItemKind.File) continue;
                using var data = reader.OpenData();
                int n;
                long got = 0;
                while ((n = data.Read(buffer, 0, buffer.Length)) > 0) got += n;
                if (got != item.Size) throw new InvalidDataException($"expected {item.Size} bytes, read {got}");
                bytes += got;
            }
        }
        catch (Exception ex) when (ArchiveExtract.IsCorruption(ex))
        {
            return ReshError.Failed($"{path} is damaged at entry {(current.Length == 0 ? "(header)" : current)}: {ExceptionTranslation.OneLine(ex.Message)}",
                "Restore the archive from a good copy.", new System.Text.Json.Nodes.JsonObject { ["entry"] = current, ["entries_ok"] = Math.Max(0, entries - 1) });
        }
        return new ArchiveTestResult(path, reader.Format.Name, entries, bytes, true);
    }
}
