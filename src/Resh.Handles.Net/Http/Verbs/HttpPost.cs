using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

public static class HttpPost
{
    public static VerbInfo Create(string scheme) => HttpCall.Define("post", "POST", "Send a POST with a JSON, form, text or streamed file body.", withBody: true, Effect.Mutate, [],
        HttpCall.Examples(scheme, [new("'https://127.0.0.1:8443/api/items.post(json:={\"name\":\"x\"})' ca=/tmp/test-ca.pem", "Create an item with a JSON body."), new("https://example.com/login post form=user=ann form=lang=en", "A form post.")]));
}
