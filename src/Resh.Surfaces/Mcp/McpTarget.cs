using Resh.Core.Grammar;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// The forms of a call's target that --allow/--deny target patterns are matched against, so that a path written
/// differently (`/a/./b`, `/a//b`, `/x/../a/b`, a relative path, `~/b`, a percent-escape, a symlink) cannot dodge
/// a pattern. Path-like targets (file://, config://, archive://, cert://, and any target whose body starts with
/// `/` or `~`) get their lexical canonical form (absolute, `.`/`..`/`//` collapsed) and, on this machine, the
/// symlink-resolved real path. <see cref="Deny"/> holds every form (a deny matching any of them refuses);
/// <see cref="Allow"/> holds the canonical forms (an allow must match all of them). <see cref="Opaque"/> is set when
/// the target has `..` segments the policy cannot resolve (a target that is not a local path, or a relative path
/// on a remote host): a target-restricted pattern then refuses the call.
/// </summary>
public sealed class McpTarget
{
    /// <summary>Handles whose target is a local path (FilePaths/ArchivePaths resolve it against the current directory and ~).</summary>
    static readonly HashSet<string> PathSchemes = new(StringComparer.Ordinal) { "file", "config", "archive", "cert" };
    const int MaxLinks = 40;

    public IReadOnlyList<string> Deny { get; }
    public IReadOnlyList<string> Allow { get; }
    public bool Opaque { get; }

    McpTarget(List<string> deny, List<string> allow, bool opaque) { Deny = deny; Allow = allow; Opaque = opaque; }

    /// <param name="body">The target after scheme://, exactly as the verb receives it.</param>
    /// <param name="home">The home directory `~` stands for.</param>
    /// <param name="remote">The call runs on another host (ssh): symlinks and relative paths cannot be resolved here.</param>
    public static McpTarget Of(string scheme, string body, string home, bool remote)
    {
        var deny = new List<string>();
        var allow = new List<string>();
        var opaque = false;
        var bodies = new List<string> { body };
        // The verb receives the body verbatim, but a handle may decode escapes again (nested file:// URIs):
        // the decoded text is a form too.
        if (body.Contains('%'))
        {
            try { var d = PercentDecoding.Decode(body); if (d != body) bodies.Add(d); }
            catch (Resh.Core.Errors.ReshException) { }
        }
        foreach (var b in bodies)
        {
            Add(deny, scheme + "://" + b);
            var pathLike = PathSchemes.Contains(scheme) || b.StartsWith('/') || b == "~" || b.StartsWith("~/", StringComparison.Ordinal);
            if (!pathLike || b.Length == 0 || b == "-")
            {
                Add(allow, scheme + "://" + b);
                if (HasDotDot(b)) opaque = true;
                continue;
            }
            string path = b;
            if (path == "~") path = home;
            else if (path.StartsWith("~/", StringComparison.Ordinal)) path = home.TrimEnd('/') + "/" + path[2..];
            if (!path.StartsWith('/'))
            {
                if (remote)
                {
                    // Relative to a directory on another machine: only the text as written can be matched.
                    Add(allow, scheme + "://" + b);
                    if (HasDotDot(b)) opaque = true;
                    continue;
                }
                path = Environment.CurrentDirectory.TrimEnd('/') + "/" + path;
            }
            var lexical = scheme + "://" + Lexical(path);
            Add(deny, lexical);
            Add(allow, lexical);
            if (remote)
            {
                continue;
            }
            if (RealPath(path) is { } real)
            {
                var r = scheme + "://" + real;
                Add(deny, r);
                Add(allow, r);
            }
            else if (HasDotDot(b)) opaque = true; // a symlink loop: where `..` lands is unknown
        }
        return new McpTarget(deny, allow, opaque);
    }

    static void Add(List<string> forms, string form)
    {
        if (!forms.Contains(form)) forms.Add(form);
    }

    static bool HasDotDot(string text)
    {
        foreach (var seg in text.Split('/'))
            if (seg == "..") return true;
        return false;
    }

    /// <summary>An absolute path with `.`, `..` and empty segments collapsed, without touching the file system.</summary>
    public static string Lexical(string absolute)
    {
        var parts = new List<string>();
        foreach (var seg in absolute.Split('/'))
        {
            if (seg.Length == 0 || seg == ".") continue;
            if (seg == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(seg);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>
    /// The path with every symlink resolved component by component as the kernel would (so `link/..` goes to the
    /// link target's parent); the part that does not exist yet is collapsed lexically. Null on a symlink loop.
    /// </summary>
    public static string? RealPath(string absolute)
    {
        var pending = new Stack<string>();
        var segs = absolute.Split('/');
        for (int i = segs.Length - 1; i >= 0; i--) pending.Push(segs[i]);
        var parts = new List<string>();
        int links = 0;
        bool missing = false;
        while (pending.Count > 0)
        {
            var seg = pending.Pop();
            if (seg.Length == 0 || seg == ".") continue;
            if (seg == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(seg);
            if (missing) continue;
            var current = "/" + string.Join('/', parts);
            string? link = null;
            try { link = new FileInfo(current).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            if (link is null)
            {
                if (!Path.Exists(current)) missing = true;
                continue;
            }
            if (++links > MaxLinks) return null;
            parts.RemoveAt(parts.Count - 1);
            if (link.StartsWith('/')) parts.Clear();
            var linkSegs = link.Split('/');
            for (int i = linkSegs.Length - 1; i >= 0; i--) pending.Push(linkSegs[i]);
        }
        return "/" + string.Join('/', parts);
    }
}
