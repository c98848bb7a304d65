using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

public static class HttpOptions
{
    public static VerbInfo Create(string scheme) => HttpCall.Define("options", "OPTIONS", "Send an OPTIONS request (what methods and CORS rules a URL allows).", withBody: false, Effect.Read, [],
        HttpCall.Examples(scheme, [new("https://example.com/v1/items.options", "Allowed methods.")]));
}
