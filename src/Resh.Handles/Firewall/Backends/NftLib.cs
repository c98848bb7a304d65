using System.Runtime.InteropServices;

namespace Resh.Handles.Firewall;

/// <summary>
/// libnftables, the library the nft command is a thin front end of: `list ruleset` with JSON output is
/// `nft -j list ruleset`, and a script run from a buffer is `nft -f` (one kernel transaction), without
/// starting a process. When the library is missing resh runs the nft binary instead.
/// </summary>
internal static unsafe partial class NftLib
{
    const string Lib = "libnftables.so.1";
    const uint OutputJson = 1 << 4; // NFT_CTX_OUTPUT_JSON

    [LibraryImport(Lib, EntryPoint = "nft_ctx_new")] private static partial nint CtxNew(uint flags);
    [LibraryImport(Lib, EntryPoint = "nft_ctx_free")] private static partial void CtxFree(nint ctx);
    [LibraryImport(Lib, EntryPoint = "nft_ctx_output_set_flags")] private static partial void SetOutputFlags(nint ctx, uint flags);
    [LibraryImport(Lib, EntryPoint = "nft_ctx_buffer_output")] private static partial int BufferOutput(nint ctx);
    [LibraryImport(Lib, EntryPoint = "nft_ctx_buffer_error")] private static partial int BufferError(nint ctx);
    [LibraryImport(Lib, EntryPoint = "nft_ctx_get_output_buffer")] private static partial byte* OutputBuffer(nint ctx);
    [LibraryImport(Lib, EntryPoint = "nft_ctx_get_error_buffer")] private static partial byte* ErrorBuffer(nint ctx);
    [LibraryImport(Lib, EntryPoint = "nft_run_cmd_from_buffer", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RunCmd(nint ctx, string buffer);

    static bool? _available;

    public static bool Available
    {
        get
        {
            if (_available is { } a) return a;
            try
            {
                var ctx = CtxNew(0);
                if (ctx != 0) CtxFree(ctx);
                _available = ctx != 0;
            }
            catch (DllNotFoundException) { _available = false; }
            catch (EntryPointNotFoundException) { _available = false; }
            return _available.Value;
        }
    }

    /// <summary>Runs nft commands (a whole script is one transaction); returns the exit status, output and error text.</summary>
    public static (int Code, string Output, string Error) Run(string commands, bool json)
    {
        var ctx = CtxNew(0);
        if (ctx == 0) return (1, "", "nft_ctx_new failed");
        try
        {
            if (json) SetOutputFlags(ctx, OutputJson);
            BufferOutput(ctx);
            BufferError(ctx);
            var rc = RunCmd(ctx, commands);
            return (rc == 0 ? 0 : 1, Str(OutputBuffer(ctx)), Str(ErrorBuffer(ctx)));
        }
        finally { CtxFree(ctx); }
    }

    static string Str(byte* p) => p == null ? "" : Marshal.PtrToStringUTF8((nint)p) ?? "";
}
