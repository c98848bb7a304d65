using System.Text.Json.Nodes;
using Resh.Core.Cli;
using Resh.Core.Introspection;
using Resh.Core.Model;
using Xunit;

namespace Resh.Core.Tests.Introspection;

/// <summary>Every verb of every handle is fully declared: help, schemas and docs can be derived from it.</summary>
public sealed class DeclarationTests
{
    static readonly Registry.HandleRegistry Real = Resh.Cli.HandleCatalog.Build();

    public static TheoryData<string> AllVerbs()
    {
        var data = new TheoryData<string>();
        foreach (var h in Real.All) foreach (var v in h.Verbs) data.Add($"{h.Scheme}.{v.Name}");
        return data;
    }

    static (HandleInfo, VerbInfo) Find(string fullName)
    {
        var dot = fullName.IndexOf('.');
        var h = Real.Find(fullName[..dot])!;
        return (h, h.FindVerb(fullName[(dot + 1)..])!);
    }

    [Theory]
    [MemberData(nameof(AllVerbs))]
    public void Every_verb_has_a_summary_and_described_arguments(string name)
    {
        var (_, verb) = Find(name);
        Assert.False(string.IsNullOrWhiteSpace(verb.Summary));
        Assert.EndsWith(".", verb.Summary);
        foreach (var a in verb.Args)
        {
            Assert.Matches("^[a-z][a-z0-9_]*$", a.Name);
            Assert.False(string.IsNullOrWhiteSpace(a.Description), $"{name}: {a.Name} has no description");
        }
    }

    [Theory]
    [MemberData(nameof(AllVerbs))]
    public void Every_argument_schema_lists_exactly_the_declared_arguments(string name)
    {
        var (_, verb) = Find(name);
        var schema = SchemaBuilder.ArgsSchema(verb);
        Assert.Equal(SchemaBuilder.Draft, schema["$schema"]!.GetValue<string>());
        Assert.Equal("object", schema["type"]!.GetValue<string>());
        Assert.False(schema["additionalProperties"]!.GetValue<bool>());
        var props = schema["properties"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Equal(verb.Args.Select(a => a.Name).ToList(), props);
        var required = schema["required"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        Assert.Equal(verb.Args.Where(a => a.Required).Select(a => a.Name).ToList(), required);
    }

    [Theory]
    [MemberData(nameof(AllVerbs))]
    public void Every_result_schema_is_an_object_with_snake_case_fields(string name)
    {
        var (_, verb) = Find(name);
        var schema = SchemaBuilder.ResultSchema(verb);
        Assert.Equal("object", schema["type"]!.GetValue<string>());
        foreach (var (field, _) in schema["properties"]!.AsObject())
            Assert.Matches("^[a-z][a-z0-9_]*$", field);
    }

    [Theory]
    [MemberData(nameof(AllVerbs))]
    public void Every_example_parses_to_its_own_verb(string name)
    {
        var (handle, verb) = Find(name);
        if (handle.Hidden) return; // meta commands are documented through help, not stage examples
        Assert.NotEmpty(verb.Examples);
        foreach (var example in verb.Examples)
        {
            // Examples are shell-ready: what a user pastes after `resh`. Metacharacters must be quoted.
            Assert.True(UnquotedShellMeta(example.Command) is null,
                $"{name} example `{example.Command}` has an unquoted `{UnquotedShellMeta(example.Command)}`: quote the stage for the shell.");
            var argv = SplitShell(example.Command);
            argv.RemoveAll(w => w.StartsWith('<')); // "< file" redirections in examples
            var inv = new Invocation();
            // stdin and files hold a value, as they would for `value=@-` and `password=@file` (an empty secret is refused).
            var parser = new CommandLineParser(Real, () => "x"u8.ToArray(), readFile: _ => "x"u8.ToArray());
            parser.Parse(argv, inv);
            Assert.Same(verb, inv.Verb);
        }
    }

    /// <summary>
    /// The one declaration of "runs programs of the caller's choosing" (VerbInfo.RunsPrograms, HandleInfo.RunsPrograms),
    /// read by the agent's `exec` and by serve/MCP roles' `exec` (McpPolicy.ExecRefusal in McpToolCall.Check). A verb
    /// added to or dropped from it changes what a server surface runs without `exec = true`: the list is reviewed here.
    /// </summary>
    [Fact]
    public void The_verbs_that_run_programs_are_the_reviewed_ones()
    {
        string[] handles = ["git", "ssh"]; // every verb (plugins' handles too, built from their manifests)
        string[] verbs = ["cron.add", "cron.run-now", "lock.run", "plugin.install", "plugin.test", "plugin.update", "proc.spawn", "secret.exec", "svc.create", "svc.edit.set"];
        var actualHandles = Real.All.Where(h => h.RunsPrograms).Select(h => h.Scheme).Order(StringComparer.Ordinal).ToArray();
        var actualVerbs = Real.All.Where(h => !h.RunsPrograms).SelectMany(h => h.Verbs.Where(v => h.VerbRunsPrograms(v)).Select(v => v.FullName)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(handles.SequenceEqual(actualHandles),
            $"Handles declared RunsPrograms: [{string.Join(", ", actualHandles)}], reviewed: [{string.Join(", ", handles)}]. Decide whether the change is meant (a server surface refuses them without exec = true) and update this list.");
        Assert.True(verbs.SequenceEqual(actualVerbs),
            $"Verbs declared WithRunsPrograms(): [{string.Join(", ", actualVerbs)}], reviewed: [{string.Join(", ", verbs)}]. Decide whether the change is meant (a server surface refuses them without exec = true) and update this list.");
        foreach (var h in Real.All.Where(h => h.RunsPrograms))
            Assert.All(h.Verbs, v => Assert.True(v.RunsPrograms, $"{v.FullName}: its handle runs programs, so the verb says so too (tools/list hides it)."));
    }

    /// <summary>
    /// A verb with an argument that names a program (a Command-parsed list, or an argument called command/argv/exec/...) either
    /// runs programs (declared) or has the argument as a side command (refused on every server surface), or is reviewed here.
    /// A new verb that takes a command therefore cannot slip past the `exec` rule silently.
    /// </summary>
    [Fact]
    public void A_verb_that_takes_a_command_declares_that_it_runs_programs()
    {
        string[] commandish = ["command", "cmd", "argv", "exec", "program", "script", "shell", "run", "action", "validate", "hook", "hooks", "exec_start", "check"];
        // Reviewed: the argument names no program resh runs for the caller.
        string[] reviewed =
        [
            "resh.complete.shell", "resh.completion.shell", // bash, zsh or fish: which completion to print
            "user.add.shell", "user.ensure.shell", "user.modify.shell", "user.list.shell", // a login shell, run by login for that user, not by resh
            "firewall.rules.add.action", "firewall.rules.delete.action", // accept, drop, reject
        ];
        var missed = new List<string>();
        foreach (var h in Real.All)
            foreach (var v in h.Verbs)
                foreach (var a in v.Args)
                {
                    var isCommand = commandish.Contains(a.Name) || a.Aliases.Any(commandish.Contains);
                    if (!isCommand || h.VerbRunsPrograms(v) || a.Role == ArgRole.SideCommand || reviewed.Contains($"{v.FullName}.{a.Name}")) continue;
                    missed.Add($"{v.FullName}.{a.Name}");
                }
        Assert.True(missed.Count == 0,
            $"These arguments look like commands, yet their verb is not declared WithRunsPrograms() and the argument is not ArgRole.SideCommand: {string.Join(", ", missed)}. " +
            "Decide: a verb that runs a program of the caller's choosing says .WithRunsPrograms() (list it in The_verbs_that_run_programs_are_the_reviewed_ones); an argument that only rides along is role: ArgRole.SideCommand; otherwise add it to `reviewed` with the reason.");
    }

    [Fact]
    public void Enum_defaults_are_among_their_choices()
    {
        foreach (var h in Real.All)
            foreach (var v in h.Verbs)
                foreach (var a in v.Args.Where(a => a.Kind == ArgKind.Enum && a.DefaultJson is not null))
                    Assert.Contains(a.DefaultJson!.GetValue<string>(), a.Choices!);
    }

    [Fact]
    public void The_help_overview_lists_every_visible_handle()
    {
        var text = HelpText.Overview(Catalog.Handles(Real), Catalog.Commands(Real), Catalog.Flags());
        foreach (var h in Real.Visible) Assert.Contains(h.Scheme + "://", text);
        foreach (var f in GlobalFlags.All) Assert.Contains("--" + f.Name, text);
    }

    [Fact]
    public void Envelope_schema_requires_every_envelope_field()
    {
        var (_, verb) = Find("file.read");
        var schema = SchemaBuilder.EnvelopeSchema(verb);
        var required = schema["required"]!.AsArray().Select(x => x!.GetValue<string>()).ToHashSet();
        Assert.Equal(new HashSet<string> { "ok", "handle", "verb", "target", "host", "changed", "dry_run", "result", "error", "warnings", "duration_ms", "ts" }, required);
        Assert.Equal("file", schema["properties"]!["handle"]!["const"]!.GetValue<string>());
    }

    [Fact]
    public void Argument_schemas_carry_types_defaults_and_enums()
    {
        var (_, verb) = Find("file.read");
        var props = SchemaBuilder.ArgsSchema(verb)["properties"]!;
        Assert.Equal("string", props["encoding"]!["type"]!.GetValue<string>());
        Assert.Equal("text", props["encoding"]!["default"]!.GetValue<string>());
        Assert.Contains("base64", props["encoding"]!["enum"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal("size", props["max_size"]!["x-resh-type"]!.GetValue<string>());
    }

    /// <summary>The first shell metacharacter outside quotes (a leading `&lt; file` redirection is allowed).</summary>
    static char? UnquotedShellMeta(string line)
    {
        char q = '\0';
        foreach (var c in line)
        {
            if (q != '\0') { if (c == q) q = '\0'; continue; }
            if (c is '\'' or '"') { q = c; continue; }
            if (c is '(' or ')' or '|' or ';' or '&' or '>' or '*' or '[' or ']' or '{' or '}' or '$' or '`' or '?') return c;
        }
        return null;
    }

    static List<string> SplitShell(string line)
    {
        var words = new List<string>();
        var sb = new System.Text.StringBuilder();
        char q = '\0';
        bool any = false;
        foreach (var c in line)
        {
            if (q != '\0') { if (c == q) q = '\0'; else sb.Append(c); continue; }
            if (c is '\'' or '"') { q = c; any = true; continue; }
            if (c == ' ') { if (any || sb.Length > 0) { words.Add(sb.ToString()); sb.Clear(); any = false; } continue; }
            sb.Append(c);
        }
        if (any || sb.Length > 0) words.Add(sb.ToString());
        return words;
    }
}
