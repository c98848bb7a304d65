using Resh.Core.Model;

namespace Resh.Handles.Net.Http;

public static class HttpHead
{
    public static VerbInfo Create(string scheme) => HttpCall.Define("head", "HEAD", "Send a HEAD: status and headers, no body.", withBody: false, Effect.Read, [],
        HttpCall.Examples(scheme, [new("https://example.com/big.iso.head", "Size and type of a file without downloading it.")]));
}
