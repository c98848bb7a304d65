using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Fs;

public static class FsMountVerb
{
    static readonly Arg<string?> Source = Arg.String("source", "What to mount: a device, an image file (mounted through a loop device), a directory (bind) or a name (tmpfs).", required: true, examples: ["/dev/sdb1", "/srv/disk.img", "tmpfs"], path: PathUse.Read);
    static readonly Arg<string?> FsType = Arg.String("fstype", "File system type (ext4, xfs, btrfs, tmpfs...); default: detected by mount. Ignored for bind.", aliases: ["type"]);
    static readonly Arg<IReadOnlyList<string>> Options = Arg.List("options", "Mount options.", examples: ["ro,noatime", "size=64m"]);
    static readonly Arg<bool> Bind = Arg.Bool("bind", "Bind-mount the source directory.");
    static readonly Arg<bool> Create = Arg.Bool("create", "Create the mount point directory when missing.", true);
    static readonly Arg<bool> Persist = Arg.Bool("persist", "Also write the mount into fstab (atomically), so it comes back at boot.");
    public static readonly Arg<string?> FstabPath = Arg.String("fstab", "The fstab file persist edits.", "/etc/fstab", path: PathUse.Write);

    public static readonly VerbInfo Verb = VerbInfo.Define("mount", Effect.Mutate,
        "Mount a device, image, directory (bind) or tmpfs; already mounted as asked is changed: false, mounted with other options is remounted.",
        [Source, FsType, Options, Bind, Create, Persist, FstabPath], () => FsJson.Default.FsMountResult, RunAsync,
        examples:
        [
            new("'fs:///mnt/scratch.mount(source=tmpfs,fstype=tmpfs,options=size=64m)'", "A 64 MiB tmpfs."),
            new("'fs:///mnt/img.mount(source=/srv/disk.img,persist=true)'", "Loop-mount an image and add it to /etc/fstab."),
            new("'fs:///srv/www.mount(source=/data/www,bind=true,options=ro)'", "A read-only bind mount."),
        ],
        targetHelp: "The mount point.",
        notes: "A mount point that already has the same source mounted with other options (ro/rw, size=, noexec...) is remounted with the asked ones (`mount -o remount,...`); an option the kernel cannot change on a remount is `conflict`. `options` in the result are the ones the mount really has afterwards, read back from /proc/self/mountinfo.");

    static async ValueTask<Outcome<FsMountResult>> RunAsync(VerbContext ctx)
    {
        var target = FsPaths.ForTool(FsPaths.Required(ctx, "the mount point"), "mount");
        if (target == "/") return ReshError.Usage("Refusing to mount over /.", "Mount on a directory below /.");
        var bind = ctx.Get(Bind);
        var rawSource = ctx.Get(Source)!;
        var source = rawSource.StartsWith('/') || rawSource.StartsWith('.') || rawSource.StartsWith('~') ? FsPaths.ForTool(FsPaths.Absolute(rawSource, ctx), "mount") : rawSource;
        var options = ctx.Get(Options).ToList();
        var fsType = bind ? null : ctx.Get(FsType);
        // fstype and options land in fstab fields and in mount argv: a space, tab or newline would add fields or lines.
        if (ctx.Get(FsType) is { } ft && (ft.Length == 0 || ft.StartsWith('-') || ft.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == '#')))
            return ReshError.Usage("fstype= must be a file system type name (ext4, xfs, fuse.sshfs...): no spaces, control characters, '#' or leading '-'.", "Example: fstype=ext4");
        if (options.Any(o => o.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))))
            return ReshError.Usage("Mount options must not contain spaces, tabs, newlines or other control characters.", "Give options as a comma-separated list without spaces, e.g. options=ro,noatime.");
        var sourceStat = source.StartsWith('/') ? Posix.Stat(source, follow: true, out _) : null;
        if (bind && sourceStat is null) return ReshError.NotFound($"Bind source {source} does not exist.", "Check the source path.");
        if (!bind && source.StartsWith('/') && sourceStat is null) return ReshError.NotFound($"{source} does not exist.", "Check the device or image path.");
        var isImage = !bind && sourceStat is { IsRegular: true };
        if (isImage && !options.Contains("loop")) options.Add("loop");

        var commands = new List<string[]>();
        var mounts = MountTable.Read();
        var current = MountTable.At(target, mounts);
        bool changed = false;
        if (current is not null)
        {
            if (!SameSource(current, source, bind, sourceStat, target, fsType))
                return ReshError.Conflict($"{target} already has {current.Source} ({current.FsType}) mounted.", FsUnmountVerb.UnmountFirstHint(target, $"{target} holds the running system: choose another mount point (an empty directory)."),
                    new System.Text.Json.Nodes.JsonObject { ["mounted_source"] = current.Source, ["fstype"] = current.FsType });
            var wantRo = options.Contains("ro");
            var differing = MountOptions.Differing(options, current);
            if (wantRo != current.ReadOnly || differing.Count > 0)
            {
                // Mounted with other options: remount with the asked ones (mount -o remount keeps the rest).
                var remount = new List<string> { "remount" };
                if (bind) remount.Add("bind");
                remount.Add(wantRo ? "ro" : "rw");
                remount.AddRange(options.Where(o => o is not ("ro" or "rw") && !MountOptions.IsMountOnly(o)));
                commands.Add(["mount", "-o", string.Join(',', remount.Distinct()), target]);
                changed = true;
            }
        }
        else
        {
            if (!Directory.Exists(target))
            {
                if (!ctx.Get(Create)) return ReshError.NotFound($"Mount point {target} does not exist.", "Create it, or pass create=true.");
                changed = true;
            }
            var argv = new List<string> { "mount" };
            if (bind) argv.Add("--bind");
            if (fsType is not null) { argv.Add("-t"); argv.Add(fsType); }
            var opts = options.Where(o => !bind || o != "ro").ToList();
            if (opts.Count > 0) { argv.Add("-o"); argv.Add(string.Join(',', opts)); }
            argv.Add(source);
            argv.Add(target);
            commands.Add(argv.ToArray());
            if (bind && options.Contains("ro")) commands.Add(["mount", "-o", "remount,bind,ro", target]);
            changed = true;
        }

        string? fstab = null, fstabDiff = null;
        if (ctx.Get(Persist))
        {
            fstab = FsPaths.Absolute(ctx.Get(FstabPath)!, ctx);
            var type = bind ? "none" : fsType ?? current?.FsType ?? "auto";
            var fstabOptions = bind ? string.Join(',', options.Prepend("bind")) : string.Join(',', options);
            var (old, updated) = Fstab.Plan(fstab, target, Fstab.Line(source, target, type, fstabOptions));
            fstabDiff = Fstab.Apply(fstab, old, updated, dryRun: true);
            changed |= fstabDiff is not null;
        }
        if (!ctx.DryRun)
        {
            if (!Directory.Exists(target)) Directory.CreateDirectory(target);
            foreach (var c in commands) await Run(c, ctx.Cancellation).ConfigureAwait(false);
            if (fstab is not null && fstabDiff is not null)
            {
                var (old, updated) = Fstab.Plan(fstab, target, Fstab.Line(source, target, bind ? "none" : fsType ?? MountTable.At(target, MountTable.Read())?.FsType ?? "auto",
                    bind ? string.Join(',', options.Prepend("bind")) : string.Join(',', options)));
                fstabDiff = Fstab.Apply(fstab, old, updated, dryRun: false);
            }
        }
        var after = ctx.DryRun ? null : MountTable.At(target, MountTable.Read());
        var mounted = ctx.DryRun || after is not null;
        var finalType = fsType ?? (ctx.DryRun ? current?.FsType : after?.FsType);
        var remounted = commands.Any(c => c.Length > 2 && c[2].StartsWith("remount", StringComparison.Ordinal) && current is not null);
        if (remounted && after is not null && MountOptions.Differing(options, after) is { Count: > 0 } still)
            return ReshError.Conflict($"{target} is mounted, but the kernel kept other values for: {string.Join(", ", still)}.",
                $"Those options cannot change on a remount; unmount it first: resh fs://{target}.unmount",
                new System.Text.Json.Nodes.JsonObject { ["options"] = after.Options, ["super_options"] = after.SuperOptions });
        // The options the mount really has (per-mount and file system options, as mountinfo shows them), not merely the ones asked for.
        IReadOnlyList<string> shown = after is null ? options : MountOptions.Live(after);
        return Outcome.Changed(new FsMountResult(target, source, finalType, shown, mounted, fstab, fstabDiff, FsDescribe.Commands(commands)), changed);
    }

    static bool SameSource(MountEntry current, string source, bool bind, FileStatus? sourceStat, string target, string? fsType)
    {
        if (bind)
        {
            var t = Posix.Stat(target, follow: true, out _);
            return t is { } ts && sourceStat is { } ss && ts.Inode == ss.Inode && ts.DevMajor == ss.DevMajor && ts.DevMinor == ss.DevMinor;
        }
        if (fsType is not null && fsType != current.FsType) return false;
        if (current.Source == source) return true;
        if (MountTable.LoopBackingFile(current.Source) == source) return true;
        // /dev/disk/by-uuid/... and other symlinks name the same device.
        try { return source.StartsWith('/') && Path.GetFullPath(new FileInfo(source).ResolveLinkTarget(true)?.FullName ?? source) == current.Source; }
        catch (IOException) { return false; }
    }

    internal static async Task Run(string[] argv, CancellationToken ct)
    {
        var exe = ProcessRunner.Which(argv[0]) ?? argv[0];
        var r = await ProcessRunner.RunAsync([exe, .. argv[1..]], null, ct).ConfigureAwait(false);
        if (r.Succeeded) return;
        var line = r.LastErrorLine;
        var err = line.Contains("permission denied", StringComparison.OrdinalIgnoreCase) || line.Contains("must be superuser", StringComparison.OrdinalIgnoreCase)
            ? ReshError.PermissionDenied($"{argv[0]} was refused: {line}", "Run as root.")
            : ReshError.Failed($"{argv[0]} failed: {line}", null);
        throw (err with
        {
            Details = new System.Text.Json.Nodes.JsonObject
            {
                ["command"] = new System.Text.Json.Nodes.JsonArray(argv.Select(a => (System.Text.Json.Nodes.JsonNode?)a).ToArray()),
                ["exit_code"] = r.ExitCode,
            },
        }).ToException();
    }
}
