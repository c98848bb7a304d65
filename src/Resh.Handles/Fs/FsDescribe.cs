using Resh.Core.Text;
using Resh.Handles.Storage;

namespace Resh.Handles.Fs;

/// <summary>Mount entries and statvfs numbers as results.</summary>
public static class FsDescribe
{
    public static FsMount Mount(MountEntry m)
    {
        var mountPoint = PathBytes.Display(m.MountPoint, out var e1);
        var source = PathBytes.Display(m.Source, out var e2);
        var root = PathBytes.Display(m.Root, out var e3);
        return new(m.MountId, mountPoint, source, m.FsType, m.Options.Split(','),
            m.SuperOptions.Split(',', StringSplitOptions.RemoveEmptyEntries), root, m.Device, m.ReadOnly, MountTable.LoopBackingFile(m.Source), e1 || e2 || e3);
    }

    public static FsUsage? Usage(MountEntry m)
    {
        var v = NativeFs.StatVfs(m.MountPoint, out _);
        if (v is not { } s) return null;
        long frsize = (long)(s.Frsize == 0 ? s.Bsize : s.Frsize);
        long size = (long)s.Blocks * frsize, free = (long)s.Bfree * frsize, available = (long)s.Bavail * frsize, used = ((long)s.Blocks - (long)s.Bfree) * frsize;
        double pct = used + available > 0 ? Math.Round(100.0 * used / (used + available), 1) : 0;
        long inodes = (long)s.Files, ifree = (long)Math.Min(s.Ffree, s.Files), iused = inodes - ifree;
        var mountPoint = PathBytes.Display(m.MountPoint, out var e1);
        var source = PathBytes.Display(m.Source, out var e2);
        return new FsUsage(mountPoint, source, m.FsType, size, used, free, available, pct, inodes, iused, ifree,
            inodes > 0 ? Math.Round(100.0 * iused / inodes, 1) : null, m.ReadOnly, e1 || e2);
    }

    public static IReadOnlyList<IReadOnlyList<string>> Commands(List<string[]> argvs) => argvs.Select(a => (IReadOnlyList<string>)a).ToList();
}
