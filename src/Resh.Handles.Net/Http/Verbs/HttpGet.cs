using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

public static class HttpGet
{
    public static VerbInfo Create(string scheme) => HttpCall.Define("get", "GET", "Send a GET and return status, headers, body (parsed JSON, text or base64), timings and redirects.", withBody: false, Effect.Read, [],
        HttpCall.Examples(scheme, [new("http://127.0.0.1:8080/health.get", "Check a health endpoint."), new("https://api.example.com/v1/users get header='Accept: application/json' bearer=env:API_TOKEN", "An authenticated JSON GET."), new("https://example.com/ get --format raw", "Print the body bytes only, like curl -s.")]));
}
