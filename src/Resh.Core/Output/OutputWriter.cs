using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Secrets;

namespace Resh.Core.Output;

/// <summary>
/// Prints events and envelopes in the chosen format. JSON formats are written as UTF-8 bytes
/// straight to stdout; human formats go through <see cref="TableRenderer"/> and <see cref="YamlRenderer"/>.
/// </summary>
public sealed class OutputWriter
{
    readonly Stream _stdout;
    readonly TextWriter _stderr;
    readonly bool _quiet;
    readonly Ansi _ansi;
    readonly ArrayBufferWriter<byte> _buffer = new(4096);
    readonly object _gate = new();

    public OutputWriter(Stream stdout, TextWriter stderr, OutputFormat format, bool quiet, Ansi ansi)
    {
        if (format == OutputFormat.Auto) throw new ArgumentException("Resolve auto before writing.", nameof(format));
        _stdout = stdout;
        _stderr = stderr;
        Format = format;
        _quiet = quiet;
        _ansi = ansi;
    }

    public OutputFormat Format { get; }
    public Ansi Ansi => _ansi;

    public void WriteEvent(string name, JsonObject fields, JsonNode? id = null, bool hasId = false)
    {
        if (_quiet) return;
        lock (_gate)
        {
            switch (Format)
            {
                case OutputFormat.Table or OutputFormat.Raw:
                    // A person reading a stream wants the text itself (a log line), not its wrapping.
                    var text = fields.TryGetPropertyValue("line", out var line) && line is JsonValue lv && lv.TryGetValue<string>(out var ls) ? ls
                        : fields.TryGetPropertyValue("text", out var t) && t is JsonValue tv && tv.TryGetValue<string>(out var ts) ? ts
                        : $"{name} {fields.ToJsonString()}";
                    text = SecretRedactor.Scrub(text);
                    WriteText(text.EndsWith('\n') ? text : text + "\n");
                    break;
                case OutputFormat.Yaml:
                    _buffer.Clear();
                    EnvelopeJson.WriteEvent(_buffer, name, fields, null, false);
                    WriteText(YamlRenderer.Render(JsonNode.Parse(Scrubbed(false))));
                    break;
                default:
                    _buffer.Clear();
                    EnvelopeJson.WriteEvent(_buffer, name, fields, id, hasId);
                    _stdout.Write(Scrubbed(false));
                    _stdout.Write("\n"u8);
                    break;
            }
            _stdout.Flush();
        }
    }

    /// <summary>Prints the envelope (or its raw payload) and returns the exit status of what was printed.</summary>
    public async ValueTask<int> WriteEnvelopeAsync(Envelope env, CancellationToken ct = default)
    {
        if (Format == OutputFormat.Raw && env.Ok && env.Raw is not null && !_quiet)
        {
            try
            {
                await env.Raw.WriteToAsync(_stdout, ct).ConfigureAwait(false);
                // Synchronous on purpose: async writes and flushes on a console stream run on the thread pool.
                _stdout.Flush();
                return env.ExitStatus;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return WriteEnvelope(Envelope.Failure(ExceptionTranslation.ToError(ex, env.Target), env.Handle, env.Verb, env.Target, env.DryRun, env.DurationMs));
            }
        }
        return WriteEnvelope(env);
    }

    /// <summary>Prints exactly one envelope and returns its exit status. If the envelope cannot be
    /// encoded (invalid text in a result), a `failed` envelope is printed instead.</summary>
    public int WriteEnvelope(Envelope env)
    {
        lock (_gate)
        {
            try
            {
                WriteEnvelopeCore(env);
                return env.ExitStatus;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException or System.Text.Json.JsonException)
            {
                var fallback = Envelope.Failure(ReshError.Failed("The result could not be encoded as JSON.",
                        "It held text that is not valid Unicode; this is a bug in the verb, please report it.",
                        new JsonObject { ["reason"] = ExceptionTranslation.OneLine(ex.Message) }),
                    env.Handle, env.Verb, env.Target, env.DryRun, env.DurationMs, env.Id, env.HasId);
                WriteEnvelopeCore(fallback);
                return fallback.ExitStatus;
            }
        }
    }

    void WriteEnvelopeCore(Envelope env)
    {
        {
            if (_quiet)
            {
                if (!env.Ok) WriteErrorLine(env);
                return;
            }
            switch (Format)
            {
                case OutputFormat.Json or OutputFormat.Ndjson or OutputFormat.JsonPretty:
                    Encode(env, Format == OutputFormat.JsonPretty);
                    _stdout.Write(Scrubbed(Format == OutputFormat.JsonPretty, env.Revealed));
                    _stdout.Write("\n"u8);
                    break;
                case OutputFormat.Yaml:
                    Encode(env, false);
                    WriteText(YamlRenderer.Render(JsonNode.Parse(Scrubbed(false, env.Revealed))));
                    break;
                case OutputFormat.Table:
                    var text = SecretRedactor.Scrub(new TableRenderer(_ansi).Render(env), env.Revealed);
                    if (env.Ok) WriteText(text);
                    else { _stdout.Flush(); _stderr.Write(text); _stderr.Flush(); }
                    break;
                case OutputFormat.Raw:
                    if (!env.Ok) { WriteErrorLine(env); break; }
                    var node = env.ResultAsNode();
                    if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        var s = SecretRedactor.Scrub(v.GetValue<string>(), env.Revealed);
                        WriteText(s.EndsWith('\n') ? s : s + "\n");
                    }
                    else if (node is not null)
                    {
                        var json = Encoding.UTF8.GetBytes(node.ToJsonString());
                        if (SecretRedactor.Active)
                            json = SecretRedactor.ScrubJson(json, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default }, env.Revealed) ?? json;
                        _stdout.Write(json);
                        _stdout.Write("\n"u8);
                    }
                    break;
            }
            _stdout.Flush();
        }
    }

    void Encode(Envelope env, bool indented)
    {
        _buffer.Clear();
        EnvelopeJson.Write(_buffer, env, indented);
    }

    /// <summary>The JSON in the buffer with every registered secret masked (the buffer itself when none matched).</summary>
    ReadOnlySpan<byte> Scrubbed(bool indented, IReadOnlyList<string>? revealed = null)
    {
        if (!SecretRedactor.Active) return _buffer.WrittenSpan;
        return SecretRedactor.ScrubJson(_buffer.WrittenSpan, EnvelopeJson.WriterOptions(indented), revealed) ?? _buffer.WrittenSpan;
    }

    void WriteErrorLine(Envelope env)
    {
        var e = env.Error ?? ReshError.Failed("Unknown failure.");
        _stdout.Flush();
        _stderr.WriteLine(SecretRedactor.Scrub($"resh: error[{e.Code.ToWire()}]: {e.Message}"));
        if (e.Hint is not null) _stderr.WriteLine(SecretRedactor.Scrub($"resh: hint: {e.Hint}"));
        _stderr.Flush();
    }

    void WriteText(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        _stdout.Write(bytes);
    }

    public void Flush()
    {
        lock (_gate) _stdout.Flush();
    }
}
