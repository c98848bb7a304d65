using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Handles.Files;
using Resh.Handles.Template.Engine;

namespace Resh.Handles.Template;

public static class TemplateRender
{
    static readonly Arg<string?> Dest = Arg.String("dest", "Write the result to this file (atomically: temporary file, fsync, rename); without it the rendered text is the result.", path: PathUse.Write,
        examples: ["/etc/nginx/nginx.conf"]).WithPathConfinement();
    static readonly Arg<string?> Mode = Arg.String("mode", "dest's permissions: octal (0644) or symbolic (u=rw,go=r). Default: keep an existing file's mode; a new file gets 0666 minus the umask, or 0600 when the template read a secret.");
    static readonly Arg<string?> Owner = Arg.String("owner", "dest's owner (user name or uid). Default: keep the existing owner.");
    static readonly Arg<string?> Group = Arg.String("group", "dest's group (name or gid). Default: keep the existing group.");
    static readonly Arg<bool> Backup = Arg.Bool("backup", "Keep dest's previous version as DEST.TIMESTAMP~ when the content changes.");
    static readonly Arg<bool> Follow = Arg.Bool("follow", "When dest is a symlink: true writes where it points whoever owns the link; false replaces the link itself with the rendered file (Ansible's follow: no). Unset: the link is followed only when it belongs to you or root; a link another user planted is refused.", true);
    static readonly Arg<IReadOnlyList<string>> Validate = Arg.Command("validate",
        "A command that checks the rendered file before it replaces dest (Ansible's validate): argv words (validate:='[\"nginx\",\"-t\",\"-c\",\"%s\"]', or validate='visudo -cf %s' split into words as a shell would, no shell runs); %s is a private copy of the new content. A non-zero exit leaves dest untouched: `failed`, with its output's tail.",
        examples: ["nginx -t -c %s", "visudo -cf %s"], role: ArgRole.SideCommand);
    static readonly Arg<bool> UnsafeWrites = Arg.Bool("unsafe_writes", "When dest's directory does not let you create a temporary file (a file you may write in a directory you may not), rewrite dest in place, not atomically (Ansible's unsafe_writes); without it that is permission_denied.");

    public static readonly VerbInfo Verb = VerbInfo.Define("render", Effect.Mutate,
        "Render a Jinja2 template with vars (and facts, secrets): the text as the result, or into dest= atomically with a truthful `changed` (Ansible's template module).",
        [Dest, .. TemplateContext.Common, Mode, Owner, Group, Backup, Follow, UnsafeWrites, Validate], () => TemplateJson.Default.TemplateRenderResult, RunAsync,
        examples:
        [
            new("'template:///tmp/nginx.conf.tmpl.render(dest=/tmp/nginx.conf,vars:={\"port\":8080})'", "Render into a file; a second run is `changed: false`."),
            new("'template:///srv/app/app.ini.j2.render(vars:={\"app\":\"web\"})' --format raw", "Print the rendered text, as cat would (vars=@vars.yml reads the vars from a file)."),
            new("template:///etc/templates/db.conf.j2 render dest=/etc/app/db.conf mode=0640 group=app --dry-run", "Show the unified diff and write nothing."),
        ],
        notes: "Same bytes, mode and owner as dest has: `changed: false` and nothing is written. --dry-run returns the diff and writes nothing. "
            + "Once the template (or any file it reads) calls secret(), no rendered text reaches the envelope: without dest `content` is null with a warning and --format raw is refused (render secrets into a file with dest=), "
            + "the diff is withheld (only the counts of lines added and removed), and an error names only its place and kind. "
            + "A new dest that holds a secret is created 0600 unless mode= says otherwise; an existing one keeps its mode, with a warning when group or others may read it. "
            + "validate= runs only when the content changes and not under --dry-run (as Ansible's check mode); the command gets the new content as a 0600 file in a private directory, removed afterwards.").WithPathConfinement();

    static async ValueTask<Outcome<TemplateRenderResult>> RunAsync(VerbContext ctx)
    {
        string text;
        Loader loader;
        if (ctx.Get(Dest) is null && ctx.Get(Validate).Count > 0) // s37 user #14: it would be silently ignored
            return ReshError.Usage("validate= checks the file that replaces dest, and no dest= is given.", "Add dest=FILE, or drop validate=.");
        ParsedTemplate top;
        Renderer? renderer = null;
        try
        {
            (loader, top) = TemplateContext.Load(ctx);
            renderer = TemplateContext.Renderer(ctx, loader);
            text = renderer.Render(top, TemplateContext.Variables(ctx));
        }
        catch (TemplateError e) { return TemplateContext.ToError(TemplateContext.Withheld(e, renderer)); }
        var secrets = renderer.SecretValues;
        var files = loader.Loaded.Select(t => t.Display).ToList();
        var display = TemplateContext.Display(top);
        var bytes = Encoding.UTF8.GetBytes(text);

        if (ctx.Get(Dest) is not { } destArg)
        {
            if (secrets.Count > 0)
            {
                // Any filter, slice or loop can change how a secret looks, so no text of such a render is shown.
                if (ctx.WantsRaw)
                    return ReshError.Usage("The template reads a secret, so its rendered text is not printed.", "render to a file with dest= (a new file is created 0600).");
                ctx.Warn("The output holds a secret, so `content` is withheld: render to a file with dest=.");
                return new TemplateRenderResult(display, null, null, null, false, null, null, renderer.SecretNames, files);
            }
            var shown = TemplateContext.Mask(text, secrets);
            Outcome<TemplateRenderResult> plain = new TemplateRenderResult(display, null, shown, bytes.Length, false, null, null, renderer.SecretNames, files);
            return ctx.WantsRaw ? plain.WithRaw(RawPayload.FromText(shown, newline: false)) : plain;
        }

        var path = FilePaths.ResolveArg(ctx, destArg, "dest");
        // /proc and /sys hold kernel files, not regular ones: the atomic write (a temporary file, then rename) cannot
        // happen there, so --dry-run must not promise it either.
        var destDir = Path.GetDirectoryName(path) ?? "/";
        var realDir = Resh.Handles.Sys.RealPath.Resolve(destDir, out _) ?? destDir;
        if (InKernelFs(path, realDir) is { } kernelDir) return kernelDir;
        var validate = ctx.Get(Validate);
        if (validate.Count > 0 && !validate.Any(w => w.Contains("%s", StringComparison.Ordinal)))
            return ReshError.Usage("validate= needs %s where the command takes the file to check, e.g. validate='nginx -t -c %s'.",
                "%s is replaced by a private copy of the rendered content; the command runs before dest is replaced.");
        var owner = Ownership.Resolve(ctx.Get(Owner), ctx.Get(Group));
        var modeSpec = ctx.Get(Mode) is { } m ? ModeSpec.Parse(m) : null;
        // s36 user #3: root rendering into a directory another user owns followed their symlink onto a root-only file.
        // The kernel's protected_symlinks covers sticky directories only; a link's owner is checked here too.
        if (!ctx.IsSet(Follow) && Posix.Stat(path, follow: false, out _) is { } link && link.FileType == FileStatus.S_IFLNK
            && link.Uid != LibC.GetEUid() && link.Uid != 0)
            return ReshError.PermissionDenied($"dest {FilePaths.Display(path)} is a symlink that belongs to another user (uid {link.Uid}), so render does not follow it.",
                "Check who planted it; pass follow=false to replace the link with the rendered file, or follow=true to write where it points.");
        using var target = WriteTarget.Open(path, follow: ctx.Get(Follow), "write");
        // The check above saw the path as given; a followed symlink may land in /proc or /sys too (s36 attacker #4).
        if (InKernelFs(path, target.FullPath) is { } kernelFile) return kernelFile;
        // follow=false: a symlink at dest is replaced like an absent file (the rename lands on the link itself).
        if (!ctx.Get(Follow) && target.Existing is { } maybeLink && maybeLink.FileType == FileStatus.S_IFLNK) target.ReplaceLink();
        var existing = target.Existing;
        if (existing is { IsDirectory: true })
            return ReshError.Usage($"dest {FilePaths.Display(path)} is a directory.", "Name the file to write, e.g. dest=/etc/app/app.conf.");
        if (existing is { } ex && !ex.IsRegular)
            return ReshError.Usage($"dest {FilePaths.Display(path)} is a {ex.TypeName}, not a regular file.", "render writes regular files only.");

        var umask = FileNative.Umask();
        uint? mode = modeSpec?.Apply(existing?.Permissions ?? (0x1B6u & ~umask), false, umask);
        if (mode is null && existing is null && secrets.Count > 0) mode = 0x180; // 0600: the file holds a secret
        bool modeChanged = existing is { } e1 && mode is { } nm && nm != e1.Permissions;
        bool ownerChanged = existing is { } e2 && owner.Differs(e2);
        var old = existing is null ? null : FileContent.Compare(target, existing.Value, bytes, ctx.Cancellation);
        bool contentChanged = existing is null || !old!.Same;
        var diff = !contentChanged ? null
            : secrets.Count > 0 ? TemplateContext.WithholdDiff(FileContent.Diff(old, bytes, path))
            : FileContent.Diff(old, bytes, path);

        if (!ctx.DryRun && contentChanged && validate.Count > 0
            && await RunValidateAsync(ctx, validate, path, bytes, secrets).ConfigureAwait(false) is { } rejected)
            return rejected;
        if (!ctx.DryRun)
        {
            if (contentChanged)
                await AtomicRewrite.WriteAsync(ctx, target, bytes, new AtomicRewrite.Options(mode, owner, ctx.Get(Backup), NotAtomic: "unsafe_writes", AllowNotAtomic: ctx.Get(UnsafeWrites))).ConfigureAwait(false);
            else if (modeChanged || ownerChanged)
            {
                if (ownerChanged) FileErrors.Check(Posix.FChownAt(target.DirFd, target.Name, owner.UidArg, owner.GidArg, follow: false), path, "change the owner of");
                if (mode is { } nm2) FileErrors.Check(Posix.FChmodAt(target.DirFd, target.Name, nm2, follow: false), path, "set the mode of");
            }
        }
        var after = ctx.DryRun ? null : target.Refresh();
        var finalMode = after?.Permissions ?? mode ?? existing?.Permissions ?? (0x1B6u & ~umask);
        if (secrets.Count > 0 && (finalMode & 0x3F) != 0 && (finalMode & 0x24) != 0)
            ctx.Warn($"{FilePaths.Display(path)} holds secret content and is readable by group or others (mode {FileMetadata.OctalMode(finalMode)}); pass mode=0600 or mode=0640.");
        return Outcome.Changed(new TemplateRenderResult(display, FilePaths.Display(path), null, bytes.Length, existing is null,
            FileMetadata.OctalMode(finalMode), diff, renderer.SecretNames, files), contentChanged || modeChanged || ownerChanged);
    }

    /// <summary>
    /// Runs validate= on a copy of the new content (a 0600 file named as dest, in a new 0700 directory): null when it exits 0,
    /// else the `failed` error with the tail of its output (masked when the template read a secret). Argv only, no shell.
    /// </summary>
    static async Task<ReshError?> RunValidateAsync(VerbContext ctx, IReadOnlyList<string> command, string dest, byte[] bytes, IReadOnlyList<string> secrets)
    {
        var dir = Directory.CreateTempSubdirectory("resh-validate-").FullName; // mkdtemp: 0700, new
        using var cleanup = Resh.Core.Platform.Cleanup.Track(dir, directory: true);
        var copy = Path.Combine(dir, Path.GetFileName(dest));
        using (var fs = new FileStream(copy, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            await fs.WriteAsync(bytes, ctx.Cancellation).ConfigureAwait(false);
        var argv = command.Select(w => w.Replace("%s", copy, StringComparison.Ordinal)).ToList();
        var run = await ProcessRunner.RunAsync(argv, new ProcessOptions { MaxOutputBytes = 1 << 20 }, ctx.Cancellation).ConfigureAwait(false);
        if (run.ExitCode == 0) return null;
        var output = run.Stderr.Trim().Length > 0 ? run.Stderr : run.Stdout;
        output = TemplateContext.Mask(output.Replace(copy, "%s", StringComparison.Ordinal), secrets).TrimEnd();
        var tail = output.Length > 2000 ? "…" + output[^2000..] : output;
        var last = tail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        return ReshError.Failed(
            $"validate ({Path.GetFileName(command[0])}) rejected the rendered content with exit {run.ExitCode}, so {FilePaths.Display(dest)} was not changed{(last.Length > 0 ? $": {Clip(last)}" : ".")}",
            "Fix the template or its vars; details.output_tail has the command's output (%s stands for the checked copy).",
            new System.Text.Json.Nodes.JsonObject
            {
                ["command"] = new System.Text.Json.Nodes.JsonArray(command.Select(w => (System.Text.Json.Nodes.JsonNode?)w).ToArray()),
                ["exit_code"] = run.ExitCode,
                ["output_tail"] = tail,
            });
    }

    static string Clip(string s) => s.Length > 300 ? s[..300] + "…" : s;

    /// <summary>unsupported when <paramref name="real"/> (dest's directory or where dest leads) is in /proc or /sys, else null.</summary>
    static ReshError? InKernelFs(string path, string real)
    {
        var fs = real is "/proc" || real.StartsWith("/proc/", StringComparison.Ordinal) ? "/proc"
            : real is "/sys" || real.StartsWith("/sys/", StringComparison.Ordinal) ? "/sys" : null;
        return fs is null ? null : ReshError.Unsupported(
            $"dest {FilePaths.Display(path)} is in {fs}{(real == path || real == Path.GetDirectoryName(path) ? "" : $" (it leads to {FilePaths.Display(real)})")}, a kernel file system: render writes regular files atomically (a temporary file renamed into place), which it cannot hold.",
            "Render without dest= and write the value with file://PATH.write (an in-place write), or use the setting's own handle.");
    }
}
