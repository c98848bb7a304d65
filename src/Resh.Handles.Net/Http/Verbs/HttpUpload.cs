using Resh.Core.Errors;
using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

public static class HttpUpload
{
    static readonly Arg<string?> File = Arg.String("file", "The file to send, streamed (never loaded whole).", required: true, path: PathUse.Read).WithPathConfinement();
    static readonly Arg<string?> Field = Arg.String("field", "Send a multipart/form-data form with the file in this field (form= adds fields); default: the file is the raw body.");
    static readonly Arg<string?> Method = Arg.Enum("method", "PUT (default for a raw body) or POST (default for a form).", ["PUT", "POST", "PATCH"]);

    public static VerbInfo Create(string scheme) => VerbInfo.Define("upload", Effect.Mutate,
        "Upload a file: streamed as the request body (PUT), or as a multipart form field (POST).",
        [File, Field, Method, HttpArgs.Form, HttpArgs.ContentType, .. HttpArgs.Common], () => HttpJson.Default.HttpResult,
        async ctx =>
        {
            var path = BodyFile.Check(ctx.Get(File)!, "file", "file= names the file to upload.");
            var field = ctx.Get(Field);
            var method = ctx.Get(Method) ?? (field is null ? "PUT" : "POST");
            var spec = HttpRequestSpec.Build(ctx, method, withBody: false);
            var contentType = ctx.Get(HttpArgs.ContentType) ?? "application/octet-stream";
            Func<HttpContent> body;
            if (field is null)
            {
                if (ctx.Get(HttpArgs.Form).Count > 0) return ReshError.Usage("form= needs field= (a multipart form).", "Add field=file.");
                body = () => BodyFile.Content(path, contentType);
            }
            else
            {
                var fields = ctx.Get(HttpArgs.Form);
                body = () =>
                {
                    var form = new MultipartFormDataContent();
                    foreach (var f in fields)
                    {
                        var eq = f.IndexOf('=');
                        form.Add(new StringContent(eq < 0 ? "" : f[(eq + 1)..]), eq < 0 ? f : f[..eq]);
                    }
                    form.Add(BodyFile.Content(path, contentType), field, Path.GetFileName(path));
                    return form;
                };
            }
            spec.Body = new BodySource(body, true, "file");
            return await HttpCall.RunAsync(ctx, method, withBody: false, spec).ConfigureAwait(false);
        },
        examples: HttpCall.Examples(scheme, [
            new("https://files.example.com/backups/db.dump upload file=/var/backups/db.dump bearer=env:TOKEN", "PUT a file, streamed."),
            new("https://example.com/api/photos upload file=cat.jpg field=photo form=album=pets content_type=image/jpeg", "A multipart form upload."),
        ]));
}
