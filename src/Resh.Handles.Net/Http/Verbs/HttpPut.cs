using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

public static class HttpPut
{
    public static VerbInfo Create(string scheme) => HttpCall.Define("put", "PUT", "Send a PUT (idempotent: retries= applies).", withBody: true, Effect.Mutate, [],
        HttpCall.Examples(scheme, [new("https://example.com/v1/items/7.put 'json:={\"name\":\"y\"}'", "Replace an item."), new("https://example.com/blob put body=@disk.img", "Stream a file as the body.")]));
}
