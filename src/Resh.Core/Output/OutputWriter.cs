using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;
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
    static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

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

    /// <summary>
    /// What to do when stdout cannot be written (a closed pipe, a full disk). The CLI exits there
    /// (141 for a broken pipe, else 1 with a line on stderr); without a handler the exception propagates.
    /// </summary>
    public Action<OutputStreamException>? OnStdoutFailure { get; set; }

    /// <summary>Columns of the terminal the table view must fit; null when stdout is not a terminal.</summary>
    public int? TableWidth { get; init; }

    /// <summary>Fields to show as table columns (<c>--columns pid,name,rss</c>); null shows them all.</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    bool _streamed;

    void StdoutFailed(OutputStreamException ex)
    {
        if (OnStdoutFailure is null) throw ex;
        OnStdoutFailure(ex);
        throw ex; // the handler exits; this is only reached when it returns
    }

    public void WriteEvent(string name, JsonObject fields, JsonNode? id = null, bool hasId = false)
    {
        if (_quiet) return;
        try { WriteEventCore(name, fields, id, hasId); }
        catch (OutputStreamException ex) { StdoutFailed(ex); }
    }

    void WriteEventCore(string name, JsonObject fields, JsonNode? id, bool hasId)
    {
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
                    if (text.EndsWith('\n')) text = text[..^1];
                    // raw is the payload as is; the table view is for a terminal, where data must not carry escape sequences.
                    WriteText((Format == OutputFormat.Table ? TerminalText.Escape(text) : text) + "\n");
                    break;
                case OutputFormat.Yaml:
                    _buffer.Clear();
                    EnvelopeJson.WriteEvent(_buffer, name, fields, null, false);
                    WriteText(YamlRenderer.Render(JsonNode.Parse(Scrubbed(false))));
                    break;
                default:
                    _streamed = true;
                    _buffer.Clear();
                    EnvelopeJson.WriteEvent(_buffer, name, fields, id, hasId);
                    _stdout.Write(Scrubbed(false));
                    _stdout.Write("\n"u8);
                    break;
            }
            _stdout.Flush();
        }
    }

    /// <summary>
    /// Under --format raw stdout is the bare payload (TOKEN=$(resh token create ... --format raw)), so the warnings an
    /// envelope carries go to stderr, as gh and kubectl print theirs (s38 user #16).
    /// </summary>
    void WarningsToStderr(Envelope env)
    {
        if (env.Warnings.Count == 0) return;
        foreach (var w in env.Warnings) _stderr.WriteLine(SecretRedactor.Scrub($"resh: warning: {TerminalText.Escape(w)}", env.Revealed));
        _stderr.Flush();
    }

    /// <summary>Sees each answer before it is printed (the interactive shell keeps it as <c>$_</c>).</summary>
    public Action<Envelope>? OnAnswer { get; init; }

    /// <summary>Prints the envelope (or its raw payload) and returns the exit status of what was printed.</summary>
    public async ValueTask<int> WriteEnvelopeAsync(Envelope env, CancellationToken ct = default)
    {
        if (Format == OutputFormat.Raw && env.Ok && env.Raw is not null && !_quiet)
        {
            OnAnswer?.Invoke(env);
            WarningsToStderr(env);
            try
            {
                await env.Raw.WriteToAsync(_stdout, ct).ConfigureAwait(false);
                // Synchronous on purpose: async writes and flushes on a console stream run on the thread pool.
                _stdout.Flush();
                return env.ExitStatus;
            }
            catch (OutputStreamException ex)
            {
                StdoutFailed(ex);
                return 1;
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
    public int WriteEnvelope(Envelope env) => WriteEnvelope(env, answer: true);

    /// <summary>
    /// Prints one envelope. <paramref name="answer"/> is false for envelopes streamed before the answer
    /// (each host's envelope in a fleet under ndjson): those are items, printed whole.
    /// </summary>
    public int WriteEnvelope(Envelope env, bool answer)
    {
        lock (_gate)
        {
            try
            {
                if (!answer) _streamed = true;
                else OnAnswer?.Invoke(env);
                WriteEnvelopeCore(env, answer);
                return env.ExitStatus;
            }
            catch (OutputStreamException ex)
            {
                StdoutFailed(ex);
                return 1;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException or System.Text.Json.JsonException)
            {
                var fallback = Envelope.Failure(ReshError.Failed("The result could not be encoded as JSON.",
                        "It held text that is not valid Unicode; this is a bug in the verb, please report it.",
                        new JsonObject { ["reason"] = ExceptionTranslation.OneLine(ex.Message) }),
                    env.Handle, env.Verb, env.Target, env.DryRun, env.DurationMs, env.Id, env.HasId);
                try { WriteEnvelopeCore(fallback, answer); }
                catch (OutputStreamException oex) { StdoutFailed(oex); }
                return fallback.ExitStatus;
            }
        }
    }

    void WriteEnvelopeCore(Envelope env, bool answer)
    {
        {
            if (_quiet)
            {
                if (!env.Ok) WriteErrorLine(env);
                return;
            }
            switch (Format)
            {
                case OutputFormat.Ndjson when answer && env.HasResult && !SecretRedactor.Active:
                    // The items go out as the envelope's JSON is made (a listing of /usr in the memory of one item); a line
                    // that may hold an Authorization header or Bearer token written as text is masked on its way (s41 review).
                    var ndjsonOut = new CredentialLineStream(_stdout, json: true);
                    var lines = NdjsonLines.Streaming(ndjsonOut, itemsAlreadyStreamed: _streamed, notItems: NdjsonLines.NotItemsOf(env.ResolvedResultType));
                    EnvelopeJson.Write(lines, env, false);
                    lines.Complete();
                    ndjsonOut.Complete();
                    break;
                case OutputFormat.Ndjson when answer && env.HasResult:
                    // Masking a secret needs the whole text.
                    Encode(env, false);
                    NdjsonLines.Write(_stdout, Scrubbed(false, env.Revealed), itemsAlreadyStreamed: _streamed, NdjsonLines.NotItemsOf(env.ResolvedResultType));
                    break;
                case OutputFormat.Json or OutputFormat.Ndjson or OutputFormat.JsonPretty when !SecretRedactor.Active:
                    // No secret registered: the JSON goes out as it is made, in chunks once it is large (a listing of /usr).
                    // Credentials written as text (an Authorization header in a file read) are still masked: a small
                    // envelope through the same scrub as with a secret registered, a large one chunk by chunk.
                    _buffer.Clear();
                    var spill = new SpillingBufferWriter(_stdout, _buffer) { MaskCredentials = true };
                    try { EnvelopeJson.Write(spill, env, Format == OutputFormat.JsonPretty); }
                    catch when (spill.Spilled)
                    {
                        _stdout.Write("\n"u8); // what was printed cannot be taken back: end that line before the fallback envelope
                        throw;
                    }
                    if (spill.Spilled) spill.Complete();
                    else _stdout.Write(Scrubbed(Format == OutputFormat.JsonPretty, env.Revealed));
                    _stdout.Write("\n"u8);
                    break;
                case OutputFormat.Json or OutputFormat.Ndjson or OutputFormat.JsonPretty:
                    Encode(env, Format == OutputFormat.JsonPretty);
                    _stdout.Write(Scrubbed(Format == OutputFormat.JsonPretty, env.Revealed));
                    _stdout.Write("\n"u8);
                    break;
                case OutputFormat.Yaml when !SecretRedactor.Active:
                    var yamlOut = new CredentialLineStream(_stdout, json: false);
                    var yaml = YamlRenderer.Streaming(yamlOut);
                    EnvelopeJson.Write(yaml, env, false);
                    yaml.Complete();
                    yamlOut.Complete();
                    break;
                case OutputFormat.Yaml:
                    Encode(env, false);
                    WriteText(YamlRenderer.Render(JsonNode.Parse(Scrubbed(false, env.Revealed))));
                    break;
                case OutputFormat.Table:
                    TableLayout.Width = TableWidth;
                    var units = env.Human is null || Columns is not null ? FieldUnits.From(env.ResolvedResultType) : FieldUnits.None;
                    var table = new TableRenderer(_ansi, TableWidth, units, Columns);
                    if (env.Ok && !SecretRedactor.Active)
                    {
                        // Straight to stdout as it is made (file.list of a whole tree); masking a secret needs the whole text,
                        // an Authorization header written as text only its line.
                        var tableOut = new CredentialLineStream(_stdout, json: false);
                        using (var stdout = new StreamWriter(tableOut, Utf8NoBom, 1 << 14, leaveOpen: true)) table.Render(env, stdout);
                        tableOut.Complete();
                        break;
                    }
                    var text = SecretRedactor.Scrub(table.Render(env), env.Revealed);
                    if (env.Ok) WriteText(text);
                    else { _stdout.Flush(); _stderr.Write(text); _stderr.Flush(); }
                    break;
                case OutputFormat.Raw:
                    if (!env.Ok) { WriteErrorLine(env); break; }
                    WarningsToStderr(env);
                    var node = env.ResultAsNode();
                    if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        var s = SecretRedactor.Scrub(v.GetValue<string>(), env.Revealed);
                        WriteText(s.EndsWith('\n') ? s : s + "\n");
                    }
                    else if (node is not null)
                    {
                        var json = Encoding.UTF8.GetBytes(node.ToJsonString());
                        if (SecretRedactor.MayNeedScrub(json))
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

    /// <summary>
    /// The JSON in the buffer with every registered secret and every Authorization/Bearer credential written as text
    /// masked (the buffer itself when none matched).
    /// </summary>
    ReadOnlySpan<byte> Scrubbed(bool indented, IReadOnlyList<string>? revealed = null)
    {
        if (!SecretRedactor.MayNeedScrub(_buffer.WrittenSpan)) return _buffer.WrittenSpan;
        return SecretRedactor.ScrubJson(_buffer.WrittenSpan, EnvelopeJson.WriterOptions(indented), revealed) ?? _buffer.WrittenSpan;
    }

    void WriteErrorLine(Envelope env)
    {
        var e = env.Error ?? ReshError.Failed("Unknown failure.");
        _stdout.Flush();
        _stderr.WriteLine(SecretRedactor.Scrub($"resh: error[{e.Code.ToWire()}]: {TerminalText.Escape(e.Message)}"));
        if (e.Hint is not null) _stderr.WriteLine(SecretRedactor.Scrub($"resh: hint: {TerminalText.Escape(e.Hint)}"));
        _stderr.Flush();
    }

    void WriteText(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        _stdout.Write(bytes);
    }

    public void Flush()
    {
        try
        {
            lock (_gate) _stdout.Flush();
        }
        catch (OutputStreamException ex) { StdoutFailed(ex); }
    }
}
