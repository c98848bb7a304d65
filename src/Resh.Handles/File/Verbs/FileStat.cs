using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Files;

public static class FileStat
{
    static readonly Arg<bool> Follow = Arg.Bool("follow", "Follow a symlink to what it points at (stat); false describes the link itself (lstat).", true);

    public static readonly VerbInfo Verb = VerbInfo.Define("stat", Effect.Read,
        "Describe a path: type, size, mode, owner, times, inode, link target.",
        [Follow], () => FileJson.Default.FileStatResult, Run,
        examples: [new("file:///etc/hosts.stat", "Metadata of /etc/hosts."), new("'file:///bin/sh.stat(follow=false)'", "The symlink itself.")],
        notes: "A missing path is not an error: the result says `exists: false`.").WithPathConfinement();

    static Outcome<FileStatResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var follow = ctx.Get(Follow);
        // Under a surface's path patterns: what is described is what was judged (a descriptor's fstat, or the name in its
        // judged directory); elsewhere by path as ever.
        var confinedStat = FileMetadata.ConfinedStat(path, follow, out var confined, out var link);
        if (confined) return confinedStat is { } cs ? FileMetadata.Describe(path, cs, link) : FileMetadata.Missing(path);
        var st = FileMetadata.StatOrNull(path, follow);
        return st is null ? FileMetadata.Missing(path) : FileMetadata.Describe(path, st.Value);
    }
}
