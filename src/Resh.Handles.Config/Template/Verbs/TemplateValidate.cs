using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Files;
using Resh.Handles.Template.Engine;

namespace Resh.Handles.Template;

public static class TemplateValidate
{
    public static readonly VerbInfo Verb = VerbInfo.Define("validate", Effect.Read,
        "Check the syntax of a template and of everything it includes, extends and imports; with vars (or facts) given, also report the variables it uses that they lack, and render it once.",
        [.. TemplateContext.Common], () => TemplateJson.Default.TemplateValidateResult, RunAsync,
        examples:
        [
            new("template:///etc/templates/nginx.conf.j2 validate", "Syntax only."),
            new("'template:///etc/templates/nginx.conf.j2.validate(vars:={\"port\":8080})'", "Syntax, undefined variables and a trial render (nothing is written)."),
        ],
        notes: "A template that does not parse is a result (`valid: false` with each error's file, line and column), as with config's validate, "
            + "and the envelope is ok=false with code `partial` (exit 9, the result kept, as template.test does for failed cases), so `validate && deploy` stops; "
            + "a template that cannot be read (missing, outside the root, not a regular file) is that error. Undefined variables are found by reading the templates, "
            + "so a variable used only in a branch that vars would not take is reported too; one used only as `x | default(...)`, `x is defined`, "
            + "or inside `{% if x is defined %}` is not. An include ... ignore missing of a missing file is valid (render skips it); a template that includes, "
            + "extends or imports itself is not. The trial render reads secret() values but shows none of them.");

    static ValueTask<Outcome<TemplateValidateResult>> RunAsync(VerbContext ctx)
    {
        var display = TemplateContext.DisplayTarget(ctx);
        Loader loader;
        ParsedTemplate top;
        try { (loader, top) = TemplateContext.Load(ctx); }
        catch (TemplateError e) when (e.Kind == "usage") { return Done(new(display, false, [Issue(e)], [], [])); }
        catch (TemplateError e) { return ValueTask.FromResult<Outcome<TemplateValidateResult>>(TemplateContext.ToError(e)); }

        var errors = new List<TemplateIssue>();
        var undefined = new List<TemplateVariable>();
        List<FreeVariable> free = [];
        try { free = Analysis.Run(loader, top).Free; }
        catch (TemplateError e) { errors.Add(Issue(e)); }
        bool haveVars = ctx.Get(TemplateContext.Vars) is not null || ctx.Get(TemplateContext.Facts);
        if (errors.Count == 0 && haveVars)
        {
            var vars = TemplateContext.Variables(ctx);
            undefined.AddRange(free.Where(f => !f.Guarded && !vars.ContainsKey(f.Name)).Select(f => new TemplateVariable(f.Name, f.At.File, f.At.Line, f.At.Column)));
            var trial = TemplateContext.Renderer(ctx, loader);
            try { trial.Render(top, vars); }
            catch (TemplateError e) when (!(e.Message.EndsWith("is undefined.", StringComparison.Ordinal) && undefined.Any(u => e.Message.StartsWith($"'{u.Name}", StringComparison.Ordinal))))
            {
                errors.Add(Issue(TemplateContext.Withheld(e, trial)));
            }
            catch (TemplateError) { }
        }
        var files = loader.Loaded.Select(t => t.Display).ToList();
        return Done(new(display, errors.Count == 0 && undefined.Count == 0, errors, undefined, files));
    }

    /// <summary>A valid template is ok; an invalid one keeps its result and exits `partial` (9).</summary>
    static ValueTask<Outcome<TemplateValidateResult>> Done(TemplateValidateResult r)
    {
        if (r.Valid) return ValueTask.FromResult<Outcome<TemplateValidateResult>>(r);
        var first = r.Errors.Count > 0 ? r.Errors[0].Message : $"'{r.Undefined[0].Name}' is undefined";
        var what = new List<string>();
        if (r.Errors.Count > 0) what.Add($"{r.Errors.Count} error(s)");
        if (r.Undefined.Count > 0) what.Add($"{r.Undefined.Count} undefined variable(s)");
        return ValueTask.FromResult(Outcome.Partial(r, false, $"The template is not valid ({string.Join(", ", what)}): {first.TrimEnd('.')}.",
            "Each problem is in result.errors or result.undefined with its file, line and column."));
    }

    internal static TemplateIssue Issue(TemplateError e) => new(e.Message, e.At?.File, e.At?.Line, e.At?.Column, e.Kind);
}
