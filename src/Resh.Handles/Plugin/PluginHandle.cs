using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Plugin.Verbs;

namespace Resh.Handles.Plugin;

/// <summary>plugin:// — install, list and manage plugins: handles written in any language that speak JSON on stdin/stdout.</summary>
public static class PluginHandle
{
    public static HandleInfo Create() => new("plugin",
        "Plugins: handles written in any language (one JSON request in, one JSON envelope out); install, list, info, enable, disable, remove, new, test.",
        "The plugin's name (plugin://hello.info), or empty with name= (plugin://.info name=hello); install, list and new take none.",
        [
            PluginInstall.Verb,
            PluginList.Verb,
            PluginInfo.Verb,
            PluginToggle.Enable,
            PluginToggle.Disable,
            PluginRemove.Verb,
            PluginNew.Verb,
            PluginTest.Verb,
            PluginChecksums.Verb,
            .. PluginSourcesHook.Verbs,
        ])
    {
        Notes = "A plugin is a directory with plugin.json (protocol, name, version, scheme, summary, target, executable, mode, verbs with args and result "
            + "JSON Schemas and examples, checksums of every file) and an executable. Installed plugins live in the state dir (plugins/NAME, 0700, "
            + "owned by the user; state in plugins/.state). Their verbs appear like a built-in's: SCHEME://TARGET.VERB, help, schema, completion, docs, "
            + "batch, MCP tools and ssh:// remote stages (when the remote resh has the plugin too). A call checks the arguments against the args schema "
            + "(types, required, enum) before the plugin runs, re-checks the installed files against the checksums (a changed file is refused), runs the "
            + "executable with cwd = its directory and a minimal environment (PATH, HOME, LANG, TMPDIR, RESH_PLUGIN_DIR, RESH_PROTOCOL=1), writes the "
            + "request {protocol, scheme, target, verb, args, dry_run} to its stdin and reads one envelope {ok, changed, result, warnings} or "
            + "{ok:false, error:{code, message, hint, details}} from its stdout (at most 16 MiB; error codes outside SPEC §3 become failed). "
            + "--timeout (default 60s) bounds a call; the plugin's process tree is killed then. A crash, garbage, an exit without an envelope or a "
            + "flood of output is failed with details (exit_code, signal, stderr_tail). Mode ndjson (manifest \"mode\": \"ndjson\"): one process per resh "
            + "run answers a request per line, id-matched; a crash is unavailable and the next call restarts it (3 restarts at most). A plugin's process "
            + "group dies with resh, even when resh is killed with SIGKILL. Arguments of type secret take env:, file:, @- and secret:NAME and reach the "
            + "plugin only on stdin, masked in every output. A built-in call never reads the plugin store.",
    };

    /// <summary>The plugin a verb names: the target, or name=.</summary>
    internal static string NameOf(VerbContext ctx, Arg<string?> nameArg)
    {
        var byArg = ctx.Get(nameArg);
        var byTarget = ctx.Target.Length > 0 ? ctx.Target : null;
        if (byArg is not null && byTarget is not null && byArg != byTarget)
            throw ReshError.Usage($"Two plugin names: {byTarget} (target) and {byArg} (name=).", "Give one of them.").ToException();
        var name = byArg ?? byTarget ?? throw ReshError.Usage("Name the plugin.", $"Example: resh plugin://hello.{ctx.Verb.Name}").ToException();
        if (!PluginManifest.IsValidName(name))
            throw ReshError.Usage($"`{(name.Length > 40 ? name[..40] + "…" : name)}` is not a plugin name (a lower-case letter, then letters, digits or hyphens).", "Run resh plugin://.list for the installed ones.").ToException();
        return name;
    }

    internal static PluginStore Store(VerbContext ctx) => PluginStore.FromPaths(ctx.Runtime.Paths);

    internal static ReshError NotInstalled(PluginStore store, string name) =>
        ReshError.NotFound($"No plugin {name} is installed.",
            Resh.Core.Text.Suggest.Hint(name, store.Names()) ?? "Run resh plugin://.list, or install it: resh plugin://.install from=DIR");
}
