using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Files;
using Resh.Handles.Template.Engine;

namespace Resh.Handles.Template;

public static class TemplateVars
{
    static readonly ArgInfo[] Args = [TemplateContext.Root, TemplateContext.TrimBlocks, TemplateContext.LstripBlocks, TemplateContext.Inline];

    public static readonly VerbInfo Verb = VerbInfo.Define("vars", Effect.Read,
        "The variables a template reads from its context, with where each is first used, across its includes, parents and imports.",
        Args, () => TemplateJson.Default.TemplateVarsResult, RunAsync,
        examples: [new("template:///tmp/nginx.conf.tmpl.vars", "What vars the template needs.")],
        notes: "Free variables only: names bound by for, set, macro parameters, import and the builtins (range, dict, namespace, secret, loop) are not listed. "
            + "A name is listed once (its first use), without its attributes: `server.port` lists `server`. "
            + "Includes, extends and imports named by an expression rather than a string are not read; they are listed in `not_followed`.");

    static ValueTask<Outcome<TemplateVarsResult>> RunAsync(VerbContext ctx)
    {
        try
        {
            var (loader, top) = TemplateContext.Load(ctx);
            var (free, notFollowed) = Analysis.Run(loader, top);
            var vars = free.Select(f => new TemplateVariable(f.Name, f.At.File, f.At.Line, f.At.Column)).ToList();
            return ValueTask.FromResult<Outcome<TemplateVarsResult>>(new TemplateVarsResult(TemplateContext.Display(top), vars.Count, vars,
                loader.Loaded.Select(t => t.Display).ToList(), notFollowed));
        }
        catch (TemplateError e) { return ValueTask.FromResult<Outcome<TemplateVarsResult>>(TemplateContext.ToError(e)); }
    }
}
