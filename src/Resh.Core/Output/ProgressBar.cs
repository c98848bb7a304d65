using System.Diagnostics;
using Resh.Core.Values;

namespace Resh.Core.Output;

/// <summary>
/// A one-line progress bar on stderr, redrawn at most ten times a second. It is created disabled
/// when stderr is not a terminal, so JSON output and logs never see it.
/// </summary>
public sealed class ProgressBar : IDisposable
{
    readonly string _label;
    long? _total;
    readonly TextWriter? _out;
    readonly Stopwatch _clock = Stopwatch.StartNew();
    long _done;
    long _lastDrawMs = -1000;
    bool _drawn;

    readonly Action<string, long, long?>? _observer;

    internal ProgressBar(string label, long? total, TextWriter? output, Action<string, long, long?>? observer = null)
    {
        _label = label;
        _total = total;
        _out = output;
        _observer = observer;
    }

    public bool Enabled => _out is not null;

    /// <summary>Sets the total once it is known (a download learns it from the response headers).</summary>
    public void SetTotal(long? total) => _total = total;

    public void Add(long delta) => Report(Interlocked.Add(ref _done, delta));

    public void Report(long done)
    {
        Volatile.Write(ref _done, done);
        _observer?.Invoke(_label, done, _total); // a server surface (MCP progress notifications) throttles on its own
        if (_out is null) return;
        var now = _clock.ElapsedMilliseconds;
        if (now - _lastDrawMs < 100 && (_total is null || done < _total)) return;
        _lastDrawMs = now;
        Draw(done, now);
    }

    void Draw(long done, long ms)
    {
        var rate = ms > 0 ? done * 1000.0 / ms : 0;
        string line;
        if (_total is > 0 and var t)
        {
            var frac = Math.Clamp((double)done / t, 0, 1);
            const int width = 24;
            var filled = (int)(frac * width);
            line = $"{_label} [{new string('#', filled)}{new string('.', width - filled)}] {frac * 100,3:0}% {SizeValue.Human(done)}/{SizeValue.Human(t)} {SizeValue.Human((long)rate)}/s";
        }
        else
        {
            line = $"{_label} {SizeValue.Human(done)} {SizeValue.Human((long)rate)}/s";
        }
        lock (_out!)
        {
            _out.Write("\r\x1b[2K" + line);
            _out.Flush();
        }
        _drawn = true;
    }

    public void Dispose()
    {
        if (_out is null || !_drawn) return;
        lock (_out)
        {
            _out.Write("\r\x1b[2K");
            _out.Flush();
        }
    }
}
