using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Text;
using Resh.Handles.Archive.Formats;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive;

public static class ArchiveList
{
    static readonly Arg<long?> Limit = Arg.Int("limit", "Return at most this many entries (count still covers all).", 10_000, min: 1);

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "List an archive's entries: path, type, size, mode, time, link target, owner.",
        [ArchiveArgs.Include, ArchiveArgs.Exclude, Limit, ArchiveArgs.Password, ArchiveArgs.Format, ArchiveArgs.Encoding],
        () => ArchiveJson.Default.ArchiveListResult, Run,
        examples: [new("archive:///tmp/x.tar.zst.list", "Every entry."), new("'archive:///tmp/site.zip.list(include=*.html)'", "Only HTML files."),
                   new("'archive:///tmp/old.zip.list(encoding=cp866)'", "A DOS-era zip with Russian names.")],
        notes: "Names and types are the ones extract uses (a zip made on Windows with backslashes lists with slashes). Metadata records (pax global " +
               "headers, volume labels, ACL records) are not entries. Names that are not UTF-8 are shown percent-escaped with escaped: true.");

    static Outcome<ArchiveListResult> Run(VerbContext ctx)
    {
        var path = ArchivePaths.ResolveInput(ctx);
        var filter = new PathFilter(ctx.Get(ArchiveArgs.Include), ctx.Get(ArchiveArgs.Exclude));
        var limit = ctx.Get(Limit) ?? 10_000;
        using var reader = ArchiveOpener.Open(path, ctx.Get(ArchiveArgs.Format), ctx.GetSecret(ArchiveArgs.Password)?.Reveal(), null, ctx.Get(ArchiveArgs.Encoding));
        Codecs.WarnIfZstdFallback(ctx, reader.Format.Codec);
        var entries = new List<ArchiveEntryInfo>();
        long count = 0;
        try
        {
            foreach (var item in reader.Items())
            {
                ctx.Cancellation.ThrowIfCancellationRequested();
                if (!filter.Selects(item.Name.TrimStart('/'))) continue;
                count++;
                if (entries.Count < limit) entries.Add(Describe(item));
            }
        }
        catch (Exception ex) when (ArchiveErrors.IsArchiveFault(ex))
        {
            return ArchiveErrors.Translate(ex, path, reader.Current?.Name);
        }
        foreach (var w in reader.Warnings.Take(100)) ctx.Warn(w);
        return new ArchiveListResult(PathBytes.Display(path), reader.Format.Name, count, entries, count > entries.Count);
    }

    internal static ArchiveEntryInfo Describe(ArchiveItem i)
    {
        var name = PathBytes.Display(i.Name, out var escapedName);
        string? link = null;
        if (i.LinkTarget is not null)
        {
            link = PathBytes.Display(i.LinkTarget, out var escapedLink);
            escapedName |= escapedLink;
        }
        return new(name, ArchiveItem.KindName(i.Kind), i.Size,
            "0" + Convert.ToString(i.Mode & 0xFFF, 8).PadLeft(3, '0'),
            i.Mtime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            link, i.Uid, i.Gid, string.IsNullOrEmpty(i.UserName) ? null : PathBytes.Display(i.UserName), string.IsNullOrEmpty(i.GroupName) ? null : PathBytes.Display(i.GroupName),
            i.CompressedSize, i.Encrypted, escapedName, i.Sparse?.StoredSize, i.Xattrs?.Select(x => PathBytes.Display(x.Key)).ToList(),
            i.AclAccess is not null || i.AclDefault is not null);
    }
}
