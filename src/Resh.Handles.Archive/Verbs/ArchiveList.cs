using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public static class ArchiveList
{
    static readonly Arg<long?> Limit = Arg.Int("limit", "Return at most this many entries (count still covers all).", 10_000, min: 1);

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "List an archive's entries: path, type, size, mode, time, link target, owner.",
        [ArchiveArgs.Include, ArchiveArgs.Exclude, Limit, ArchiveArgs.Password, ArchiveArgs.Format],
        () => ArchiveJson.Default.ArchiveListResult, Run,
        examples: [new("archive:///tmp/x.tar.zst.list", "Every entry."), new("'archive:///tmp/site.zip.list(include=*.html)'", "Only HTML files.")]);

    static Outcome<ArchiveListResult> Run(VerbContext ctx)
    {
        var path = ArchivePaths.Resolve(ctx);
        var filter = new PathFilter(ctx.Get(ArchiveArgs.Include), ctx.Get(ArchiveArgs.Exclude));
        var limit = ctx.Get(Limit) ?? 10_000;
        using var reader = ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), ctx.GetSecret(ArchiveArgs.Password)?.Reveal(), null);
        Codecs.WarnIfZstdFallback(ctx, reader.Format.Codec);
        var entries = new List<ArchiveEntryInfo>();
        long count = 0;
        foreach (var item in reader.Items())
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            if (!filter.Selects(item.Name.TrimStart('/'))) continue;
            count++;
            if (entries.Count < limit) entries.Add(Describe(item));
        }
        return new ArchiveListResult(path, reader.Format.Name, count, entries, count > entries.Count);
    }

    internal static ArchiveEntryInfo Describe(ArchiveItem i) => new(i.Name, ArchiveItem.KindName(i.Kind), i.Size,
        "0" + Convert.ToString(i.Mode & 0xFFF, 8).PadLeft(3, '0'),
        i.Mtime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        i.LinkTarget, i.Uid, i.Gid, string.IsNullOrEmpty(i.UserName) ? null : i.UserName, string.IsNullOrEmpty(i.GroupName) ? null : i.GroupName,
        i.CompressedSize, i.Encrypted);
}
