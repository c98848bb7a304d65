using Resh.Core.Cli;
using Resh.Core.Grammar;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Registry;

namespace Resh.Core.Introspection;

/// <summary>
/// Shell completion. The scripts are thin: they hand the command line to <c>resh complete</c>, which
/// answers from the live declarations, so completion can never drift from the verbs.
/// </summary>
public static class Completion
{
    public static string Script(string shell) => shell switch
    {
        "bash" => """
            # resh bash completion: source <(resh completion bash)
            _resh_complete() {
                local line="${COMP_LINE:0:$COMP_POINT}"
                local IFS=$'\n'
                # resh writes each candidate ready for COMPREPLY: shell-escaped (a space as \ ), and only the part
                # after the last : or = of the word, since bash splits words there.
                COMPREPLY=($(command "${COMP_WORDS[0]}" complete --shell bash --line "$line" 2>/dev/null))
            }
            complete -o nospace -o default -F _resh_complete resh
            """ + "\n",
        "zsh" => """
            #compdef resh
            # resh zsh completion: source <(resh completion zsh)
            _resh() {
                local -a candidates
                candidates=("${(@f)$(command ${words[1]} complete --line "${BUFFER[1,$CURSOR]}" 2>/dev/null)}")
                compadd -S '' -- ${candidates[@]}
            }
            compdef _resh resh
            """ + "\n",
        "fish" => """
            # resh fish completion: resh completion fish | source
            complete -c resh -f -a '(command resh complete --line (commandline -cp) 2>/dev/null)'
            """ + "\n",
        _ => throw new ArgumentOutOfRangeException(nameof(shell)),
    };

    public static readonly string[] Shells = ["bash", "zsh", "fish"];

    /// <summary>Candidates for the last word of a command line (the word being typed; empty after a space).</summary>
    public static IReadOnlyList<string> Candidates(HandleRegistry registry, string line)
    {
        var words = Split(line);
        if (words.Count > 0) words.RemoveAt(0); // the program name
        // After an unescaped, unquoted space a new (empty) word starts; `my\ ` is still the same word.
        var newWord = line.Length == 0 || (char.IsWhiteSpace(line[^1]) && Split(line + "x") is { Count: > 0 } probe && probe[^1] == "x");
        var current = newWord ? "" : (words.Count > 0 ? words[^1] : "");
        if (current.Length > 0) words.RemoveAt(words.Count - 1);
        if (PipelineCandidates(registry, words, current) is { } piped) return piped;
        return WordCandidates(registry, words, current);
    }

    /// <summary>Candidates for <paramref name="current"/> after the complete <paramref name="words"/> of one stage (or a builtin).</summary>
    static IReadOnlyList<string> WordCandidates(HandleRegistry registry, List<string> words, string current)
    {
        // Flags with values: --format <TAB>
        if (words.Count > 0 && words[^1] == "--format")
            return Filter(OutputFormats.Names, current);

        var stageIndex = words.FindIndex(w => !w.StartsWith('-'));
        if (stageIndex < 0)
        {
            if (current.StartsWith('-')) return Filter(GlobalFlags.Names.Select(n => "--" + n), current);
            if (current.Contains("://")) return StageCandidates(registry, current);
            var firsts = registry.Visible.Select(h => h.Scheme + "://")
                .Concat((registry.Meta?.Verbs ?? []).Where(v => v.Name != "complete").Select(v => v.Name));
            return Filter(firsts, current);
        }

        var first = words[stageIndex];
        VerbInfo? verb = null;
        HandleInfo? handle = null;
        if (StageParser.LooksLikeStage(first))
        {
            try
            {
                var syntax = StageParser.Parse(first);
                handle = registry.Find(syntax.Scheme);
                if (handle is not null)
                {
                    var next = stageIndex + 1 < words.Count ? words[stageIndex + 1] : null;
                    if (next is null && handle.FindVerb(current) is null && !current.StartsWith('-') && !current.Contains('='))
                    {
                        // `resh file:///etc/hosts <TAB>`: the verb as a separate word.
                        if (!TryResolve(handle, syntax.Body, null, out _))
                            return Filter(handle.Verbs.Select(v => v.Name), current);
                    }
                    TryResolve(handle, syntax.Body, next, out verb);
                }
            }
            catch (Errors.ReshException) { }
        }
        else if (registry.Meta?.FindVerb(first) is { } builtin)
        {
            verb = builtin;
            if (builtin.Name is "help" or "schema" or "docs")
            {
                var topics = registry.Visible.SelectMany(h => h.Verbs.Select(v => $"{h.Scheme}.{v.Name}").Prepend(h.Scheme));
                if (!current.StartsWith('-') && !current.Contains('=')) return Filter(topics, current);
            }
            if (builtin.Name == "completion" && !current.StartsWith('-')) return Filter(Shells, current);
        }
        if (verb is null) return [];
        return ArgCandidates(verb, current);
    }

    /// <summary>
    /// A line with a <c>|</c> word: completion for the stage under the cursor, not the first one (s40 D9). After <c>| </c>
    /// the filters and schemes; a filter's operands are the field names of the items flowing into it (from the first
    /// verb's declared result type, through the filters before it); a later stage completes as a stage of its own,
    /// with <c>{field}</c> templates offered where a <c>{</c> is open. Null: not a pipeline.
    /// </summary>
    static IReadOnlyList<string>? PipelineCandidates(HandleRegistry registry, List<string> words, string current)
    {
        var last = words.LastIndexOf("|");
        var stageIndex = words.FindIndex(w => !w.StartsWith('-'));
        if (last < 0 || stageIndex < 0 || stageIndex >= last || !StageParser.LooksLikeStage(words[stageIndex])) return null;
        var dashdash = words.IndexOf("--");
        if (dashdash >= 0 && dashdash < last) return null; // after --, a | is an argument

        // The fields of the items: the first verb's declared item type, then through each segment before the cursor's.
        IReadOnlySet<string>? fields = null;
        try
        {
            var syntax = StageParser.Parse(words[stageIndex]);
            if (registry.Find(syntax.Scheme) is { } handle)
            {
                var next = stageIndex + 1 < last ? words[stageIndex + 1] : null;
                if (TryResolve(handle, syntax.Body, next, out var verb) && verb is not null)
                    fields = Pipeline.ItemFields.OfResultType(verb.ResultType);
            }
        }
        catch (Errors.ReshException) { }
        var segStart = words.IndexOf("|", stageIndex) + 1;
        while (segStart <= last)
        {
            var end = words.IndexOf("|", segStart);
            if (end < 0) break;
            var seg = words.GetRange(segStart, end - segStart);
            if (seg.Count > 0 && StageParser.LooksLikeStage(seg[0]))
                fields = new HashSet<string>(StringComparer.Ordinal) { "item", "ok", "changed", "result", "error" };
            else if (seg.Count > 0)
            {
                try { fields = Pipeline.ItemFilter.Parse(string.Join(' ', seg)).FieldsAfter(fields); }
                catch (Errors.ReshException) { }
            }
            segStart = end + 1;
        }
        var fieldNames = (fields ?? new HashSet<string>()).Where(f => f.Length > 0).Order(StringComparer.Ordinal).ToList();
        var cur = words.GetRange(last + 1, words.Count - last - 1);

        // `{` open in the word: a template of the item's fields (`proc://{`, `pid={`).
        var brace = current.LastIndexOf('{');
        if (brace >= 0 && current.IndexOf('}', brace) < 0 && (cur.Count == 0 ? current.Contains("://") : StageParser.LooksLikeStage(cur[0])))
        {
            var prefix = current[..(brace + 1)];
            return Filter(fieldNames.Select(f => prefix + f + "}"), current);
        }
        if (cur.Count == 0)
        {
            if (current.Contains("://")) return StageCandidates(registry, current);
            return Filter(Pipeline.ItemFilter.Names.Concat(registry.Visible.Select(h => h.Scheme + "://")), current);
        }
        if (StageParser.LooksLikeStage(cur[0])) return WordCandidates(registry, cur, current);
        switch (cur[0])
        {
            case "select":
            {
                // select a,b,c: the field after the last comma, none twice.
                var comma = current.LastIndexOf(',');
                var prefix = current[..(comma + 1)];
                var chosen = cur.Skip(1).Concat([prefix]).SelectMany(w => w.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
                return Filter(fieldNames.Where(f => !chosen.Contains(f)).Select(f => prefix + f), current);
            }
            case "sort":
                if (cur.Count == 1) return current.StartsWith('-') ? Filter(fieldNames.Select(f => "-" + f), current) : Filter(fieldNames, current);
                return cur.Count == 2 ? Filter(["asc", "desc"], current) : [];
            case "unique" or "group":
                return cur.Count == 1 ? Filter(fieldNames, current) : [];
            case "where":
            {
                // A field where an operand starts: after `where`, `and`, `or`, `not`, and after an opening `(` or a `!`
                // (`where (na<Tab>`, `where not (siz<Tab>`, `where !ok`), which stay in front of the field.
                var opens = current.Length - current.TrimStart('(', '!').Length;
                var prefix = current[..opens];
                var after = cur[^1] is "where" or "and" or "or" or "not" or "&&" or "||" || (cur[^1].Length > 0 && cur[^1].All(c => c is '(' or '!'));
                return after ? Filter(fieldNames.Select(f => prefix + f), current) : [];
            }
            default:
                return [];
        }
    }

    static bool TryResolve(HandleInfo handle, string body, string? next, out VerbInfo? verb)
    {
        try
        {
            verb = VerbResolver.Resolve(handle, body, next).Verb;
            return true;
        }
        catch (Errors.ReshException)
        {
            verb = null;
            return false;
        }
    }

    static IReadOnlyList<string> StageCandidates(HandleRegistry registry, string current)
    {
        var sep = current.IndexOf("://", StringComparison.Ordinal);
        var scheme = current[..sep];
        var handle = registry.Find(scheme);
        if (handle is null) return Filter(registry.Visible.Select(h => h.Scheme + "://"), current);
        var body = current[(sep + 3)..];
        var results = new List<string>();
        // A stage inside a stage (ssh://HOST/STAGE): the inner stage completes as a stage of its own.
        if (handle.Resolver is not null && body.IndexOf('/') is var slash and > 0)
        {
            var inner = body[(slash + 1)..];
            var outer = current[..(sep + 3 + slash + 1)];
            var innerCandidates = inner.Contains("://", StringComparison.Ordinal)
                ? StageCandidates(registry, inner)
                : Filter(registry.Visible.Select(h => h.Scheme + "://"), inner);
            return innerCandidates.Select(c => outer + c).ToList();
        }
        // Inside the parentheses of a stage (`proc://.list(na`, `svc://.list(state=`): the verb's argument names and values.
        var paren = body.IndexOf('(');
        if (paren >= 0 && body.Count(c => c == '(') > body.Count(c => c == ')'))
        {
            if (!TryResolve(handle, body[..paren], null, out var verb) || verb is null) return [];
            var inner = body[(paren + 1)..];
            var fragment = inner[(inner.LastIndexOf(',') + 1)..].TrimStart();
            var prefix = current[..(current.Length - fragment.Length)];
            var given = inner[..(inner.Length - fragment.Length)].Split(',').Select(a => a.Split('=')[0].Trim()).ToHashSet(StringComparer.Ordinal);
            return ArgCandidates(verb, fragment).Where(c => c.Contains('=') && !given.Contains(c[..c.IndexOf('=')]) || fragment.Contains('='))
                .Select(c => prefix + c).ToList();
        }
        var dot = body.LastIndexOf('.');
        // Live targets (unit names, hosts, PIDs): the handle's own bounded list.
        if (handle.CompleteTarget is { } live && dot < 0)
            results.AddRange(live(body).Select(t => $"{scheme}://{t}"));
        // Every dot may start the verb: dotted verbs (`lines.ensure`) complete from `hosts.lines.ens` too.
        for (var d = body.IndexOf('.'); d >= 0; d = body.IndexOf('.', d + 1))
        {
            var prefix = current[..(sep + 3 + d + 1)];
            results.AddRange(Filter(handle.Verbs.Select(v => prefix + v.Name), current));
        }
        if (scheme == "file" && body.Length > 0)
        {
            results.AddRange(PathCandidates(body).Select(p => $"file://{p}"));
        }
        return results;
    }

    static IEnumerable<string> PathCandidates(string partial)
    {
        try
        {
            var dir = partial.EndsWith('/') ? partial : Path.GetDirectoryName(partial);
            if (string.IsNullOrEmpty(dir)) dir = ".";
            var prefix = partial.EndsWith('/') ? "" : Path.GetFileName(partial);
            if (!Directory.Exists(dir)) return [];
            return new DirectoryInfo(dir).EnumerateFileSystemInfos()
                .Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal) && (prefix.StartsWith('.') || !e.Name.StartsWith('.')))
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .Take(200)
                .Select(e => (dir == "." && !partial.StartsWith("./", StringComparison.Ordinal) ? e.Name : Path.Combine(dir, e.Name)) + (e is DirectoryInfo ? "/" : ""))
                .ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    static IReadOnlyList<string> ArgCandidates(VerbInfo verb, string current)
    {
        var eq = current.IndexOf('=');
        if (eq > 0 && !current.StartsWith('-'))
        {
            var arg = verb.FindArg(CommandLineParser.Normalize(current[..eq]));
            if (arg is null) return [];
            var values = arg.Kind switch
            {
                ArgKind.Bool => ["true", "false"],
                ArgKind.Secret => ["secret:", "env:", "file:", "@-"],
                _ => arg.Choices?.ToArray() ?? [],
            };
            return Filter(values.Select(v => current[..(eq + 1)] + v), current);
        }
        if (current.StartsWith('-'))
            return Filter(verb.Args.Select(a => "--" + a.Name.Replace('_', '-')).Concat(GlobalFlags.Names.Select(n => "--" + n)), current);
        return Filter(verb.Args.Where(a => !a.Positional).Select(a => a.Name + "="), current);
    }

    static IReadOnlyList<string> Filter(IEnumerable<string> candidates, string current) =>
        candidates.Where(c => c.StartsWith(current, StringComparison.Ordinal)).Distinct().ToList();

    /// <summary>
    /// Candidates as bash's COMPREPLY wants them: bash replaces only the part of the word after its last
    /// unquoted <c>:</c> or <c>=</c> (COMP_WORDBREAKS), and inserts the text as typed, so each candidate
    /// loses that prefix and is backslash-escaped (a file name with a space completes as <c>my\ dir/</c>).
    /// Inside an open quote the text is left as is.
    /// </summary>
    public static IReadOnlyList<string> ForBash(IReadOnlyList<string> candidates, string line)
    {
        // The raw current word: after the last whitespace that is neither escaped nor quoted.
        int start = 0, breakAt = 0;
        char quote = '\0';
        bool escaped = false;
        for (int i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (escaped) { escaped = false; continue; }
            if (quote == '\'') { if (c == '\'') quote = '\0'; continue; }
            if (c == '\\') { escaped = true; continue; }
            if (quote == '"') { if (c == '"') quote = '\0'; continue; }
            if (c is '\'' or '"') { quote = c; continue; }
            if (char.IsWhiteSpace(c)) { start = breakAt = i + 1; continue; }
            if (c is ':' or '=') breakAt = i + 1;
        }
        // What the word holds up to the break point, unescaped: every candidate starts with it.
        var fixedPart = Unescape(line[start..breakAt]);
        var result = new List<string>(candidates.Count);
        foreach (var c in candidates)
        {
            var rest = c.StartsWith(fixedPart, StringComparison.Ordinal) ? c[fixedPart.Length..] : c;
            result.Add(quote != '\0' ? rest : BashEscape(rest));
        }
        return result;
    }

    static string Unescape(string raw)
    {
        var words = Split(raw);
        return words.Count == 0 ? "" : string.Concat(words);
    }

    /// <summary>Backslash-escapes what bash would otherwise split or expand (spaces, quotes, $, `, globs, ;, &amp;, |...).</summary>
    public static string BashEscape(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length + 8);
        for (int i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c) || c is '\\' or '\'' or '"' or '$' or '`' or '!' or '&' or ';' or '|' or '<' or '>' or '(' or ')'
                or '*' or '?' or '[' or ']' or '{' or '}' or '^' || (i == 0 && c is '#' or '~'))
                sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    static List<string> Split(string line)
    {
        var words = new List<string>();
        var sb = new System.Text.StringBuilder();
        char quote = '\0';
        bool any = false;
        bool escaped = false;
        foreach (var c in line)
        {
            if (escaped)
            {
                sb.Append(c);
                escaped = false;
                any = true;
                continue;
            }
            if (quote == '\'')
            {
                if (c == quote) quote = '\0';
                else sb.Append(c);
                continue;
            }
            if (c == '\\') { escaped = true; continue; }
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else sb.Append(c);
                continue;
            }
            if (c is '\'' or '"') { quote = c; any = true; continue; }
            if (char.IsWhiteSpace(c))
            {
                if (any || sb.Length > 0) { words.Add(sb.ToString()); sb.Clear(); any = false; }
                continue;
            }
            sb.Append(c);
        }
        if (any || sb.Length > 0) words.Add(sb.ToString());
        return words;
    }
}
