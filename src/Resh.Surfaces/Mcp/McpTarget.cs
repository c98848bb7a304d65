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
/// on a remote host): a target-restricted pattern then refuses the call. Endpoint targets (cache://, http(s)://,
/// dns://, mail://, ssh://, net://) also get their canonical endpoint form (<see cref="McpEndpoint"/>), so
/// `cache://127.1:16430/` meets a pattern written for `cache://127.0.0.1:16430/`.
/// </summary>
public sealed class McpTarget
{
    /// <summary>Handles whose target is a local path (FilePaths/ArchivePaths resolve it against the current directory and ~).</summary>
    static readonly HashSet<string> PathSchemes = new(StringComparer.Ordinal) { "file", "config", "archive", "cert" };
    /// <summary>Handles whose target starts with a network endpoint ([user@]host[:port]): its spellings are canonicalised (<see cref="McpEndpoint"/>).</summary>
    static readonly HashSet<string> AuthoritySchemes = new(StringComparer.Ordinal) { "cache", "http", "https", "dns", "mail", "ssh", "net" };
    const int MaxLinks = 40;

    public IReadOnlyList<string> Deny { get; }
    public IReadOnlyList<string> Allow { get; }
    public bool Opaque { get; }
    /// <summary>
    /// The form the policy resolved the target to, as a confirmation may show it: the symlink-resolved (else lexical)
    /// path, or the endpoint with its host canonicalised and its user and password left out; null when the target has
    /// no such form (the text as written is all there is).
    /// </summary>
    public string? Canonical { get; }

    McpTarget(List<string> deny, List<string> allow, bool opaque, string? canonical)
    {
        Deny = deny; Allow = allow; Opaque = opaque; Canonical = canonical;
    }

    /// <param name="body">The target after scheme://, exactly as the verb receives it.</param>
    /// <param name="home">The home directory `~` stands for.</param>
    /// <param name="remote">The call runs on another host (ssh): symlinks and relative paths cannot be resolved here.</param>
    public static McpTarget Of(string scheme, string body, string home, bool remote)
    {
        var forms = new Forms();
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
            forms.AddDeny(scheme + "://" + b);
            if (scheme == "lock")
            {
                // lock:///prod, lock://prod and prod are the one lock `prod` (LockStore.NameOf): its canonical form is lock:///NAME.
                var name = "lock:///" + b.TrimStart('/');
                forms.AddBoth(name);
                forms.Canonical ??= name;
                continue;
            }
            var pathLike = PathSchemes.Contains(scheme) || b.StartsWith('/') || b == "~" || b.StartsWith("~/", StringComparison.Ordinal);
            if (!pathLike || b.Length == 0 || b == "-")
            {
                if (AuthoritySchemes.Contains(scheme) && b.Length > 0 && McpEndpoint.Parse(b) is { } ep)
                {
                    // cache://x@127.1:16430/ and cache://LOCALHOST.:16430 are the endpoints they resolve to.
                    forms.AddDeny(scheme + "://" + ep.WithUser);
                    foreach (var l in ep.Loopback) forms.AddDeny(scheme + "://" + l);
                    forms.AddBoth(scheme + "://" + ep.Canonical);
                    forms.Canonical ??= scheme + "://" + ep.Canonical;
                }
                else forms.AddAllow(scheme + "://" + b);
                if (HasDotDot(b)) forms.Opaque = true;
                continue;
            }
            AddPath(forms, scheme, b, home, remote, baseDir: null, expandTilde: true);
        }
        return forms.Build();
    }

    /// <summary>
    /// The forms of a path argument (<see cref="Resh.Core.Model.ArgInfo.Path"/>) as `scheme://PATH`, matched by the same
    /// patterns as the tool's targets: relative to the current directory (or <paramref name="baseDir"/>, a link's
    /// directory), `~` expanded, a file:// URI decoded as the handles' argument resolver does.
    /// </summary>
    /// <summary>
    /// The namespace a path argument of this handle's verbs is matched in: `file://` for handles whose target is a
    /// network endpoint (http.get `output=`, http.post `body=@FILE`, ssh.download `dest=`: a URL glob such as
    /// `http.*:http://**` must not match `http:///etc/shadow`, s38 attacker #8), else the handle's own scheme (a
    /// config.diff `other=` is `config://PATH`, as its target).
    /// </summary>
    public static string PathArgScheme(string scheme) => AuthoritySchemes.Contains(scheme) ? "file" : scheme;

    /// <summary>Whether a target names a local file or directory: a path scheme's, or a body that is an absolute or `~` path.</summary>
    public static bool IsLocalPath(string scheme, string body) =>
        scheme != "lock" && body.Length > 0 && body != "-"
        && (PathSchemes.Contains(scheme) || body.StartsWith('/') || body == "~" || body.StartsWith("~/", StringComparison.Ordinal) || body.StartsWith("file://", StringComparison.Ordinal));

    public static McpTarget OfPath(string scheme, string value, string home, bool remote, string? baseDir = null)
    {
        var forms = new Forms();
        var path = value;
        if (value.StartsWith("file://", StringComparison.Ordinal))
        {
            try { path = PercentDecoding.Decode(value["file://".Length..]); }
            catch (Resh.Core.Errors.ReshException) { forms.Opaque = true; }
        }
        if (value.StartsWith("file://", StringComparison.Ordinal) || value == "~" || value.StartsWith("~/", StringComparison.Ordinal))
        {
            // Several handles (http.get output, ssh.download dest, secret export file, proc.spawn stdout, cron root) take
            // the text as a path relative to the current directory (a link's target is relative to the link's directory):
            // `~/../x` is then ./x. That reading is a form too, for deny and allow alike.
            var literal = new Forms();
            AddPath(literal, scheme, value, home, remote, baseDir, expandTilde: false);
            foreach (var d in literal.Deny) forms.AddDeny(d);
            foreach (var a in literal.Allow) forms.AddAllow(a);
            if (literal.Opaque) forms.Opaque = true;
        }
        forms.AddDeny(scheme + "://" + path);
        if (path.Length == 0 || path == "-") { forms.AddAllow(scheme + "://" + path); return forms.Build(); }
        AddPath(forms, scheme, path, home, remote, baseDir, expandTilde: true);
        return forms.Build();
    }

    /// <summary>
    /// The directory a path target lies in, as written (`~` expanded, made absolute, not collapsed, so the kernel's
    /// symlink-then-`..` order still applies): where a relative symlink target points from. Null when unknown.
    /// </summary>
    public static string? Directory(string body, string home, bool remote)
    {
        var path = body.StartsWith("file://", StringComparison.Ordinal) ? body["file://".Length..] : body;
        if (path.Length == 0) return null;
        if (path == "~") path = home;
        else if (path.StartsWith("~/", StringComparison.Ordinal)) path = home.TrimEnd('/') + "/" + path[2..];
        if (!path.StartsWith('/'))
        {
            if (remote) return null;
            path = Environment.CurrentDirectory.TrimEnd('/') + "/" + path;
        }
        path = path.TrimEnd('/');
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    /// <summary>
    /// When the target's last component is a symlink: the path as a verb that acts on the link itself (file.delete,
    /// file.move) sees it, its directories resolved and the link not followed, and where the link points, as
    /// "scheme:///dir/link (a symlink to DEST)". Null otherwise (the resolved form is then what the verb acts on).
    /// </summary>
    public static string? SymlinkShown(string scheme, string body, string home, bool remote)
    {
        if (remote || !PathSchemes.Contains(scheme)) return null;
        var path = body.StartsWith("file://", StringComparison.Ordinal) ? body["file://".Length..] : body;
        if (path == "~") path = home;
        else if (path.StartsWith("~/", StringComparison.Ordinal)) path = home.TrimEnd('/') + "/" + path[2..];
        if (path.Length == 0) return null;
        if (!path.StartsWith('/')) path = Environment.CurrentDirectory.TrimEnd('/') + "/" + path;
        path = path.TrimEnd('/');
        var slash = path.LastIndexOf('/');
        var name = path[(slash + 1)..];
        if (name.Length == 0 || name is "." or "..") return null;
        var dir = RealPath(slash <= 0 ? "/" : path[..slash]);
        if (dir is null) return null;
        var link = dir.TrimEnd('/') + "/" + name;
        string? dest;
        try { dest = new FileInfo(link).LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        if (dest is null) return null;
        return $"{scheme}://{link} (a symlink to {dest})";
    }

    static void AddPath(Forms forms, string scheme, string b, string home, bool remote, string? baseDir, bool expandTilde)
    {
        string path = b;
        if (!expandTilde) { }
        else if (path == "~") path = home;
        else if (path.StartsWith("~/", StringComparison.Ordinal)) path = home.TrimEnd('/') + "/" + path[2..];
        if (!path.StartsWith('/'))
        {
            if (remote && baseDir is null)
            {
                // Relative to a directory on another machine: only the text as written can be matched.
                forms.AddAllow(scheme + "://" + b);
                if (HasDotDot(b)) forms.Opaque = true;
                return;
            }
            path = (baseDir ?? Environment.CurrentDirectory).TrimEnd('/') + "/" + path;
        }
        var lexical = scheme + "://" + Lexical(path);
        forms.AddBoth(lexical);
        if (remote)
        {
            forms.Canonical ??= lexical;
            return;
        }
        if (RealPath(path) is { } real)
        {
            var r = scheme + "://" + real;
            forms.AddBoth(r);
            forms.Canonical ??= r;
        }
        else if (HasDotDot(b)) forms.Opaque = true; // a symlink loop: where `..` lands is unknown
        forms.Canonical ??= lexical;
    }

    sealed class Forms
    {
        public readonly List<string> Deny = [];
        public readonly List<string> Allow = [];
        public bool Opaque;
        public string? Canonical;
        public void AddDeny(string f) => Add(Deny, f);
        public void AddAllow(string f) { Add(Deny, f); Add(Allow, f); }
        public void AddBoth(string f) => AddAllow(f);
        public McpTarget Build() => new(Deny, Allow, Opaque, Canonical);
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
