using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

public static class HttpPatch
{
    public static VerbInfo Create(string scheme) => HttpCall.Define("patch", "PATCH", "Send a PATCH.", withBody: true, Effect.Mutate, [],
        HttpCall.Examples(scheme, [new("'https://example.com/v1/items/7.patch(json:={\"done\":true})'", "Change one field.")]));
}
