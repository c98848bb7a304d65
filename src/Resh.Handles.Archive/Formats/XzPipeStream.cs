using System.Diagnostics;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>
/// Writes through the system <c>xz</c> (argv, no shell): bytes written here go to its stdin, its
/// stdout is copied into the destination stream. Disposing waits for xz and checks its exit status.
/// </summary>
public sealed class XzPipeStream : ForwardWriteStream
{
    readonly Process _process;
    readonly Stream _stdin;
    readonly Task _pump;
    readonly Task<string> _stderr;
    readonly Stream _output;
    bool _done;

    XzPipeStream(Process process, Stream output, CancellationToken ct)
    {
        _process = process;
        _output = output;
        _stdin = process.StandardInput.BaseStream;
        _pump = process.StandardOutput.BaseStream.CopyToAsync(output, 1 << 20, ct);
        _stderr = process.StandardError.ReadToEndAsync(ct);
    }

    public static XzPipeStream Start(Stream output, int level, CancellationToken ct)
    {
        var xz = ProcessRunner.Which("xz") ?? throw ReshError.Unavailable("Writing xz needs the `xz` program, which is not installed.",
            "Install it (apt-get install xz-utils), or pick another format such as tar.zst.").ToException();
        var psi = new ProcessStartInfo(xz) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--compress", "--stdout", "--threads=0", $"-{level}" }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw ReshError.Unavailable("Cannot start xz.", null).ToException();
        return new XzPipeStream(p, output, ct);
    }

    public override bool CanWrite => true;
    public override void Flush() => _stdin.Flush();
    public override void Write(ReadOnlySpan<byte> buffer) => _stdin.Write(buffer);

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_done)
        {
            _done = true;
            try
            {
                _stdin.Dispose();
                _pump.GetAwaiter().GetResult();
                _process.WaitForExit();
                if (_process.ExitCode != 0)
                    throw ReshError.Failed($"xz exited with {_process.ExitCode}: {ExceptionTranslation.OneLine(_stderr.GetAwaiter().GetResult())}", null).ToException();
            }
            finally
            {
                if (!_process.HasExited) { try { _process.Kill(); } catch (InvalidOperationException) { } }
                _process.Dispose();
                _output.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}
