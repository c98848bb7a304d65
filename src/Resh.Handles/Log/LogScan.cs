using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Log;

/// <summary>Gets a block of whole lines of one file: the file (null for stdin) and the number of its first line.</summary>
public delegate bool FileBlockHandler(LogFile? file, long firstLine, ReadOnlySpan<byte> block);

/// <summary>Gets one line (without its newline; cut to max_line when longer, <paramref name="cut"/> then true).</summary>
public delegate bool LineHandler(LogFile? file, long lineNo, ReadOnlySpan<byte> line, bool cut);

/// <summary>What a scan read, and what it could not.</summary>
public sealed class ScanTotals
{
    public List<string> Files { get; } = [];
    public List<LogSkipped> Skipped { get; } = [];
    public long Bytes { get; set; }
    public long Lines { get; set; }
    public long CutLines { get; set; }
}

/// <summary>
/// Reads the files of a source (or stdin) one after the other, in blocks of whole lines, in bounded memory.
/// A compressed file that decompresses past max_unzipped, or is not valid gzip, is skipped past that point
/// and named in <see cref="ScanTotals.Skipped"/>; the call then ends as `partial`.
/// </summary>
public static class LogScan
{
    public static ScanTotals Blocks(VerbContext ctx, LogSource source, IReadOnlyList<LogFile> files, int maxLine, long maxUnzipped, FileBlockHandler handler)
    {
        var totals = new ScanTotals();
        if (source.Kind == LogSourceKind.Stdin)
        {
            var stdin = ctx.Runtime.Stdin.OpenStream("log lines") ?? new MemoryStream(ctx.Runtime.Stdin.ReadAll("log lines"));
            totals.Files.Add("stdin");
            One(ctx, null, stdin, maxLine, handler, totals);
            return totals;
        }
        foreach (var file in files)
        {
            totals.Files.Add(Resh.Handles.Files.FilePaths.Display(file.Path));
            bool go;
            try
            {
                using var stream = LogFiles.Open(file, maxUnzipped);
                go = One(ctx, file, stream, maxLine, handler, totals);
            }
            catch (UnzipLimitException ex)
            {
                totals.Skipped.Add(new LogSkipped(Resh.Handles.Files.FilePaths.Display(file.Path), $"decompresses to more than {ex.Limit} bytes (max_unzipped); read up to that point"));
                continue;
            }
            catch (Exception ex) when (ex is InvalidDataException or ZstdSharp.ZstdException)
            {
                var kind = LogCompressions.Of(file.Path) == LogCompression.Zstd ? "zstd" : "gzip";
                totals.Skipped.Add(new LogSkipped(Resh.Handles.Files.FilePaths.Display(file.Path), $"not valid {kind} data; read up to the damage"));
                continue;
            }
            catch (IOException ex)
            {
                totals.Skipped.Add(new LogSkipped(Resh.Handles.Files.FilePaths.Display(file.Path), "read error: " + ex.Message));
                continue;
            }
            if (!go) break;
        }
        return totals;
    }

    static bool One(VerbContext ctx, LogFile? file, Stream stream, int maxLine, FileBlockHandler handler, ScanTotals totals)
    {
        var scanner = new LineScanner(maxLine);
        long lineNo = 1;
        bool go = true;
        try
        {
            scanner.Run(stream, block =>
            {
                go = handler(file, lineNo, block);
                var n = block.Count((byte)'\n');
                if (block.Length > 0 && block[^1] != '\n') n++;
                lineNo += n;
                totals.Lines += n;
                return go;
            }, ctx.Cancellation);
        }
        finally { totals.Bytes += scanner.Bytes; }
        return go;
    }

    /// <summary>The same, line by line: long lines cut to max_line.</summary>
    public static ScanTotals Lines(VerbContext ctx, LogSource source, IReadOnlyList<LogFile> files, int maxLine, long maxUnzipped, LineHandler handler)
    {
        long cut = 0;
        var totals = Blocks(ctx, source, files, maxLine, maxUnzipped, (file, first, block) =>
        {
            long no = first;
            while (block.Length > 0)
            {
                int nl = block.IndexOf((byte)'\n');
                var line = nl < 0 ? block : block[..nl];
                block = nl < 0 ? default : block[(nl + 1)..];
                if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
                bool isCut = line.Length > maxLine;
                if (isCut) { line = line[..maxLine]; cut++; }
                if (!handler(file, no++, line, isCut)) return false;
            }
            return true;
        });
        totals.CutLines = cut;
        return totals;
    }

    /// <summary>Turns skipped files into the envelope: `partial` with the result kept, or a plain answer when nothing was skipped.</summary>
    public static Outcome<T> Finish<T>(T result, ScanTotals totals, int maxLine)
    {
        if (totals.Skipped.Count == 0) return Outcome.Unchanged(result);
        var details = new JsonObject { ["skipped"] = new JsonArray(totals.Skipped.Select(s => (JsonNode?)new JsonObject { ["file"] = s.File, ["reason"] = s.Reason }).ToArray()) };
        return Outcome.Partial(result, false, $"{totals.Skipped.Count} file(s) could not be read to the end: {totals.Skipped[0].File} {totals.Skipped[0].Reason}.",
            "A compressed file past max_unzipped may be a gzip bomb; raise max_unzipped only for a file you trust.", details);
    }

    /// <summary>Every line of a stream, empty ones included, cut to max_line.</summary>
    public static void ReadAll(Stream stream, int maxLine, RawLineHandler handler, CancellationToken ct)
    {
        new LineScanner(maxLine).Run(stream, block =>
        {
            while (block.Length > 0)
            {
                int nl = block.IndexOf((byte)'\n');
                var line = nl < 0 ? block : block[..nl];
                block = nl < 0 ? default : block[(nl + 1)..];
                if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
                bool cut = line.Length > maxLine;
                if (cut) line = line[..maxLine];
                if (!handler(line, cut)) return false;
            }
            return true;
        }, ct);
    }

    /// <summary>Lines of any stream (a pipe from journalctl), cut to max_line.</summary>
    public static void ReadLines(Stream stream, int maxLine, RawLineHandler handler, CancellationToken ct)
    {
        new LineScanner(maxLine).Run(stream, block =>
        {
            while (block.Length > 0)
            {
                int nl = block.IndexOf((byte)'\n');
                var line = nl < 0 ? block : block[..nl];
                block = nl < 0 ? default : block[(nl + 1)..];
                bool cut = line.Length > maxLine;
                if (cut) line = line[..maxLine];
                if (line.Length > 0 && !handler(line, cut)) return false;
            }
            return true;
        }, ct);
    }

    public static string Text(ReadOnlySpan<byte> line) => System.Text.Encoding.UTF8.GetString(line);
}

public delegate bool RawLineHandler(ReadOnlySpan<byte> line, bool cut);
