using Resh.Handles.Storage;

namespace Resh.Handles.Fs;

/// <summary>Mount entries and statvfs numbers as results.</summary>
public static class FsDescribe
{
    public static FsMount Mount(MountEntry m) => new(m.MountId, m.MountPoint, m.Source, m.FsType, m.Options.Split(','),
        m.SuperOptions.Split(',', StringSplitOptions.RemoveEmptyEntries), m.Root, m.Device, m.ReadOnly, MountTable.LoopBackingFile(m.Source));

    public static FsUsage? Usage(MountEntry m)
    {
        var v = NativeFs.StatVfs(m.MountPoint, out _);
        if (v is not { } s) return null;
        long frsize = (long)(s.Frsize == 0 ? s.Bsize : s.Frsize);
        long size = (long)s.Blocks * frsize, free = (long)s.Bfree * frsize, available = (long)s.Bavail * frsize, used = ((long)s.Blocks - (long)s.Bfree) * frsize;
        double pct = used + available > 0 ? Math.Round(100.0 * used / (used + available), 1) : 0;
        long inodes = (long)s.Files, ifree = (long)Math.Min(s.Ffree, s.Files), iused = inodes - ifree;
        return new FsUsage(m.MountPoint, m.Source, m.FsType, size, used, free, available, pct, inodes, iused, ifree,
            inodes > 0 ? Math.Round(100.0 * iused / inodes, 1) : null, m.ReadOnly);
    }

    public static IReadOnlyList<IReadOnlyList<string>> Commands(List<string[]> argvs) => argvs.Select(a => (IReadOnlyList<string>)a).ToList();
}
