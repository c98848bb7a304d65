using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

public static class HttpDelete
{
    public static VerbInfo Create(string scheme) => HttpCall.Define("delete", "DELETE", "Send a DELETE (idempotent: retries= applies).", withBody: true, Effect.Destroy, [],
        HttpCall.Examples(scheme, [new("https://example.com/v1/items/7.delete", "Delete an item.")]));
}
