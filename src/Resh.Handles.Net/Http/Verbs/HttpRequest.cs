using Resh.Core.Errors;
using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

public static class HttpRequest
{
    static readonly Arg<string?> Method = Arg.String("method", "The HTTP method (any token: GET, PROPFIND, PURGE...).", required: true, examples: ["PURGE", "PROPFIND"]);

    public static VerbInfo Create(string scheme) => VerbInfo.Define("request", Effect.Mutate,
        "Send a request with any method (method=PURGE, PROPFIND...), with or without a body.",
        [Method, .. HttpArgs.BodyArgs, .. HttpArgs.Common], () => HttpJson.Default.HttpResult,
        ctx =>
        {
            var method = ctx.Get(Method)!.Trim().ToUpperInvariant();
            if (method.Length == 0 || method.Any(c => !(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c))))
                return ValueTask.FromResult<Resh.Core.Execution.Outcome<HttpResult>>(
                    ReshError.Usage($"`{ctx.Get(Method)}` is not an HTTP method token.", "Letters, digits and !#$%&'*+-.^_`|~ only, e.g. method=PURGE."));
            return HttpCall.RunAsync(ctx, method, withBody: true);
        },
        examples: HttpCall.Examples(scheme, [new("https://cdn.example.com/img/logo.png request method=PURGE", "Purge a cached object.")]),
        notes: "Idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) are retried with retries=; others never.");
}
