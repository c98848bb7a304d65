using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Platform;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Remote;

/// <summary>
/// Runs one stage with resh on one host. The common case is one round trip: a shell line that
/// execs the cached build if it is there, and otherwise prepares the cache dir and reports the
/// platform. Only then is the binary uploaded over SFTP (temp name, chmod 0700, atomic rename) and
/// the line run again. Events stream through as they arrive; the envelope comes back as the remote
/// wrote it.
/// </summary>
public sealed class RemoteRunner(SshClient client, RemoteBuilds builds)
{
    /// <summary>A runner that sends one build (this process's architecture only).</summary>
    public RemoteRunner(SshClient client, RemoteBinary binary) : this(client, new RemoteBuilds(binary)) { }

    /// <summary>The build chosen for each host in this call (by the architecture it reported, or remembered from an earlier call).</summary>
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, RemoteBinary> _chosen = new(StringComparer.Ordinal);

    public const string MissingMarker = "__RESH_MISSING__";
    /// <summary>How long a follow's envelope is awaited after --timeout, beyond the remote's start delay.</summary>
    static readonly TimeSpan FollowGrace = TimeSpan.FromMilliseconds(1500);
    /// <summary>The most a follow's grace grows by for a slow remote start.</summary>
    static readonly TimeSpan MaxStartDelay = TimeSpan.FromSeconds(20);
    const int MissingExit = 97;

    /// <summary>Keeps the executor from answering for a timed-out follow while its envelope is still on the way.</summary>
    sealed class GraceHold : IDisposable
    {
        IDisposable? _hold;
        public void Take()
        {
            var hold = Resh.Core.Platform.Cleanup.Hold();
            if (Interlocked.CompareExchange(ref _hold, hold, null) is not null) hold.Dispose();
        }
        public void Dispose() => Interlocked.Exchange(ref _hold, null)?.Dispose();
    }

    /// <summary>The handles' schemes, to put ssh://HOST/ in front of stages named in remote hints.</summary>
    public Func<string, bool> IsScheme { get; init; } = _ => false;

    /// <summary>What a failed host's envelope names when the remote never answered.</summary>
    public sealed record Identity(string Handle, string Verb, string Target);

    /// <summary>The first stderr line of a run that checked the cached build: the connection it was checked on.</summary>
    public const string CheckedMarker = "__RESH_CHECKED__ ";

    /// <summary>
    /// The remote shell line. The cached build runs at once when this connection already checked it (the
    /// connection is named by its sshd process, the session's parent, and that process's start time, read
    /// from /proc without a fork). Otherwise its SHA-256 is compared with the build hash that names it; a
    /// match is reported (<see cref="CheckedMarker"/>), stale temporary files are removed and the build is
    /// run; a mismatch (truncated, replaced) is deleted and reported missing like an absent build, with a
    /// fresh 0600 temporary file to upload into.
    /// </summary>
    public string Script(IReadOnlyList<string> reshArgs, string? checkedConnection, Become? become = null, RemoteBinary? build = null)
    {
        var binary = build ?? builds.Local;
        var run = $"exec {become?.Wrapper}\"$d/resh\" {ShellQuote.Join(reshArgs)}";
        return $"d=\"${{XDG_CACHE_HOME:-$HOME/.cache}}/resh/{binary.BuildId}\"; {become?.Prelude}" +
            $"if [ -x \"$d/resh\" ]; then c=; if read -r s < /proc/$PPID/stat; then s=${{s##*) }}; set -- $s; c=\"$PPID.${{20}}\"; fi 2>/dev/null; " +
            $"if [ -n \"$c\" ] && [ \"$c\" = {ShellQuote.Quote(checkedConnection ?? "-")} ]; then echo \"{CheckedMarker}- $$\" >&2; {run}; fi; " +
            $"h=$(sha256sum < \"$d/resh\" 2>/dev/null); if [ \"${{h%% *}}\" = {binary.Hash} ]; then echo \"{CheckedMarker}$c $$\" >&2; touch \"$d\"; " +
            $"find \"$d\" -maxdepth 1 -name 'resh.tmp.*' -mmin +10 -exec rm -f {{}} + 2>/dev/null; {run}; fi; rm -f \"$d/resh\"; fi; " +
            $"umask 077; mkdir -p \"$d\" && chmod 700 \"$d/..\" \"$d\" && t=\"$d/resh.tmp.$$\" && : > \"$t\" && {{ {RemotePlatform.LibcProbe}; }} && " +
            $"echo \"{MissingMarker} $(uname -s) $(uname -m) $l $t\"; exit {MissingExit}";
    }

    /// <summary>Where the connection that last checked this build on the host is remembered (state dir, 0600).</summary>
    string CheckedFile(HostTarget host, RemoteBinary binary) => HostFile(host, "checked", binary.BuildId);

    string HostFile(HostTarget host, string dir, string extra)
    {
        var key = string.Join('\u0001', host.Alias, host.Destination, host.User, host.Port, host.HostName, client.Settings.ConfigFile, extra);
        var name = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24].ToLowerInvariant();
        return Path.Combine(client.Settings.StateDir, dir, name);
    }

    /// <summary>
    /// The build for a host: the one chosen earlier in this call, else the one for the architecture an earlier call
    /// learnt (state dir, arch/), else this process's own. A wrong guess costs one round trip: the host reports
    /// its architecture and the matching build is chosen.
    /// </summary>
    RemoteBinary BinaryFor(HostTarget host) => _chosen.GetOrAdd(host.Alias, _ =>
    {
        try
        {
            if (File.ReadAllText(HostFile(host, "arch", "")).Trim() is { Length: > 0 } arch && builds.For(arch) is { } known) return known;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return builds.Local;
    });

    void RememberArch(HostTarget host, string arch)
    {
        var file = HostFile(host, "arch", "");
        try
        {
            Resh.Core.Config.ReshPaths.EnsurePrivateDir(Path.GetDirectoryName(file)!);
            Resh.Core.Platform.AtomicFile.Write(file, Encoding.UTF8.GetBytes(arch + "\n"), (UnixFileMode)0x180);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    string? CheckedConnection(HostTarget host, RemoteBinary binary)
    {
        try { return File.ReadAllText(CheckedFile(host, binary)).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    async Task RememberCheckedAsync(HostTarget host, ChildProcess child, RemoteBinary binary)
    {
        if (await child.MarkerAsync.ConfigureAwait(false) is not { Length: > 0 } marker) return;
        var connection = marker.Contains(' ') ? marker[..marker.LastIndexOf(' ')] : marker;
        if (connection.Length == 0 || connection == "-") return;
        Remember(host, connection, binary);
    }

    void Remember(HostTarget host, string connection, RemoteBinary binary)
    {
        var file = CheckedFile(host, binary);
        try
        {
            Resh.Core.Config.ReshPaths.EnsurePrivateDir(Path.GetDirectoryName(file)!);
            Resh.Core.Platform.AtomicFile.Write(file, Encoding.UTF8.GetBytes(connection + "\n"), (UnixFileMode)0x180);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Stops the remote resh when this call is interrupted or times out: its shell reported its PID (a process
    /// group leader, sshd's session) with the checked marker, and closing an ssh channel without a terminal does
    /// not signal the remote command (the remote resh notices its stdout has no reader, but only once the channel is
    /// closed). TERM goes to the remote resh over a second channel (its group a little later), then the local ssh is killed.
    /// </summary>
    async Task StopRemoteAsync(HostTarget host, ChildProcess child)
    {
        if (child.MarkerAsync.IsCompletedSuccessfully && child.MarkerAsync.Result is { } marker &&
            int.TryParse(marker[(marker.LastIndexOf(' ') + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) && pid > 1)
            await StdinScript.KillAsync(client, host, pid, reshFirst: true).ConfigureAwait(false);
        child.Kill();
    }

    /// <summary>Runs with <c>--format json</c>: NDJSON events go to <paramref name="onEvent"/> as they come, then the envelope.</summary>
    public async Task<Envelope> RunJsonAsync(HostTarget host, IReadOnlyList<string> reshArgs, byte[]? stdin, TimeSpan? deadline,
        VerbInfo innerVerb, Identity id, Action<JsonObject>? onEvent, bool typedResult, Become? become = null)
    {
        stdin = WithPrefix(become, stdin);
        var clock = Stopwatch.StartNew();
        var ctx = client.Context;
        var uploaded = false;
        for (int attempt = 0; ; attempt++)
        {
            var binary = BinaryFor(host);
            var argv = SshCommand.Ssh(client.Settings, host, Script(reshArgs, CheckedConnection(host, binary), become, binary));
            ctx.Runtime.Log($"ssh: {string.Join(' ', argv)}");
            // A follow was handed the whole --timeout window, which began on the host when its resh started (the
            // checked marker): when the window elapses here, its envelope is that start delay plus a moment away,
            // so the connection is kept that much longer, holding the executor's grace (Ctrl-C still ends it at once).
            var remoteStartedAfter = TimeSpan.Zero;
            using var graceHold = new GraceHold();
            using var cts = innerVerb.Streams ? new CancellationTokenSource() : CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
            using var relay = innerVerb.Streams
                ? ctx.Cancellation.Register(() =>
                {
                    if (!ctx.TimedOut) { cts.Cancel(); return; }
                    graceHold.Take();
                    cts.CancelAfter(FollowGrace + (remoteStartedAfter < MaxStartDelay ? remoteStartedAfter : MaxStartDelay));
                })
                : default;
            if (deadline is { } d) cts.CancelAfter(d);
            using var child = await ChildProcess.StartAsync(argv, cts.Token, stderrMarker: CheckedMarker).ConfigureAwait(false);
            if (innerVerb.Streams) _ = child.MarkerAsync.ContinueWith(_ => remoteStartedAfter = clock.Elapsed, TaskScheduler.Default);
            var feed = child.FeedAsync(stdin, cts.Token);
            Envelope? envelope = null;
            string? missing = null;
            int exit;
            try
            {
                using var stream = new StreamReader(child.Stdout, new UTF8Encoding(false), false, 64 * 1024);
                var reader = new BoundedLineReader(stream, client.Settings.MaxAnswerLine);
                string? line;
                while ((line = await reader.ReadLineAsync(cts.Token).ConfigureAwait(false)) is not null)
                {
                    if (line.StartsWith("{\"event\":", StringComparison.Ordinal) && onEvent is not null)
                    {
                        try { if (JsonNode.Parse(line) is JsonObject ev) onEvent(ev); }
                        catch (JsonException) { }
                    }
                    else if (RemoteEnvelope.LooksLikeEnvelope(line))
                        envelope = RemoteEnvelope.TryParse(line, host.Alias, innerVerb, typedResult, h => RemoteHints.Prefix(h, host.Alias, IsScheme)) ?? envelope;
                    else if (line.StartsWith(MissingMarker, StringComparison.Ordinal)) missing = line;
                    // Anything else (a chatty shell rc file) is not resh's and is ignored.
                }
                await feed.ConfigureAwait(false);
                exit = await child.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (LineTooLongException tooLong)
            {
                child.Kill();
                return Failure(host, id, clock, ReshError.Failed($"{host.Alias} sent an answer line longer than {tooLong.Max} bytes; resh stopped reading it.",
                    "The remote resh is not answering as resh does (check the host), or raise [ssh] max_answer_line in the config file for a really large result.",
                    new JsonObject { ["host"] = host.Alias, ["phase"] = "answer", ["limit"] = tooLong.Max }));
            }
            catch (OperationCanceledException) when (ctx.Cancellation.IsCancellationRequested)
            {
                await StopRemoteAsync(host, child).ConfigureAwait(false);
                throw;
            }
            catch (OperationCanceledException)
            {
                await StopRemoteAsync(host, child).ConfigureAwait(false);
                return Failure(host, id, clock, ReshError.Timeout($"{host.Alias} did not answer within {Resh.Core.Values.DurationValue.Format(deadline!.Value)}.",
                    "Pass a larger --timeout, or check the host's load.", new JsonObject { ["host"] = host.Alias, ["phase"] = "command" }));
            }
            var (stderr, _) = await child.StderrAsync().ConfigureAwait(false);
            if (envelope is not null)
            {
                if (envelope.Handle != id.Handle || envelope.Verb != id.Verb)
                    return Failure(host, id, clock, Mismatch(host, id, envelope));
                await RememberCheckedAsync(host, child, binary).ConfigureAwait(false);
                return envelope.With(durationMs: clock.Elapsed.TotalMilliseconds);
            }
            if (missing is not null && exit == MissingExit && !uploaded && attempt < 2)
            {
                // This run's pipes are closed before the upload starts another ssh: under a low limit on open files
                // a host never holds one slot while it waits for a second.
                child.Dispose();
                var (problem, switched) = await EnsureUploadedAsync(host, missing, binary).ConfigureAwait(false);
                if (problem is not null) return Failure(host, id, clock, problem);
                uploaded = !switched;
                continue;
            }
            return Failure(host, id, clock, become?.Refusal(host, stderr) ?? await NoAnswerAsync(host, exit, stderr).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// Runs with <c>--format raw</c> for one host: stdout is held until the exit status says whether it
    /// is a payload (exit 0) or the remote's error lines apply.
    /// </summary>
    public async Task<Envelope> RunRawAsync(HostTarget host, IReadOnlyList<string> reshArgs, byte[]? stdin, TimeSpan? deadline, Identity id, Become? become = null)
    {
        stdin = WithPrefix(become, stdin);
        var clock = Stopwatch.StartNew();
        var ctx = client.Context;
        var uploaded = false;
        for (int attempt = 0; ; attempt++)
        {
            var binary = BinaryFor(host);
            var argv = SshCommand.Ssh(client.Settings, host, Script(reshArgs, CheckedConnection(host, binary), become, binary));
            ctx.Runtime.Log($"ssh: {string.Join(' ', argv)}");
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
            if (deadline is { } d) cts.CancelAfter(d);
            using var child = await ChildProcess.StartAsync(argv, cts.Token, stderrMarker: CheckedMarker).ConfigureAwait(false);
            var feed = child.FeedAsync(stdin, cts.Token);
            var buffer = new SpillBuffer(client.Settings.StateDir);
            int exit;
            try
            {
                await buffer.FillAsync(child.Stdout, cts.Token).ConfigureAwait(false);
                await feed.ConfigureAwait(false);
                exit = await child.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ctx.Cancellation.IsCancellationRequested)
            {
                buffer.Dispose();
                await StopRemoteAsync(host, child).ConfigureAwait(false);
                throw;
            }
            catch (OperationCanceledException)
            {
                buffer.Dispose();
                await StopRemoteAsync(host, child).ConfigureAwait(false);
                return Failure(host, id, clock, ReshError.Timeout($"{host.Alias} did not answer within {Resh.Core.Values.DurationValue.Format(deadline!.Value)}.",
                    "Pass a larger --timeout, or check the host's load.", new JsonObject { ["host"] = host.Alias, ["phase"] = "command" }));
            }
            catch
            {
                buffer.Dispose();
                throw;
            }
            var (stderr, _) = await child.StderrAsync().ConfigureAwait(false);
            if (exit != MissingExit) await RememberCheckedAsync(host, child, binary).ConfigureAwait(false);
            if (exit == 0)
            {
                return new Envelope
                {
                    Ok = true, Handle = id.Handle, Verb = id.Verb, Target = id.Target, Host = host.Alias,
                    Raw = buffer.ToPayload(), DurationMs = clock.Elapsed.TotalMilliseconds,
                };
            }
            var head = buffer.Head(512);
            buffer.Dispose();
            if (exit == MissingExit && !uploaded && attempt < 2 && head.StartsWith(MissingMarker, StringComparison.Ordinal))
            {
                child.Dispose();
                var (problem, switched) = await EnsureUploadedAsync(host, head.Split('\n')[0], binary).ConfigureAwait(false);
                if (problem is not null) return Failure(host, id, clock, problem);
                uploaded = !switched;
                continue;
            }
            var error = become?.Refusal(host, stderr) ?? RemoteEnvelope.FromRawErrorLines(stderr, h => RemoteHints.Prefix(h, host.Alias, IsScheme))
                ?? await NoAnswerAsync(host, exit, stderr).ConfigureAwait(false);
            return Failure(host, id, clock, error);
        }
    }

    async Task<ReshError> NoAnswerAsync(HostTarget host, int exit, string stderr)
    {
        if (SshClient.IsSshFailure(exit, stderr)) return await client.FailureAsync(host, stderr).ConfigureAwait(false);
        var tail = stderr.Length > 2000 ? "…" + stderr[^2000..] : stderr;
        return ReshError.Failed($"resh on {host.Alias} ended with status {exit} without an answer.",
            exit is 126 or 127 ? "The remote cannot run the cached binary (noexec home, or a libc other than glibc); check the stderr in details." : "Check the stderr in details.",
            new JsonObject { ["host"] = host.Alias, ["phase"] = "remote", ["exit_code"] = exit, ["stderr"] = tail });
    }

    /// <summary>
    /// Checks the platform the marker reported and uploads the build into the dir the remote prepared. A host of
    /// another architecture than <paramref name="binary"/>'s gets the build for its own (Switched: the caller runs
    /// the line again with it, which prepares that build's dir), or <c>unsupported</c> when there is none.
    /// </summary>
    async Task<(ReshError? Problem, bool Switched)> EnsureUploadedAsync(HostTarget host, string marker, RemoteBinary binary)
    {
        if (RemotePlatform.Parse(marker) is not { } platform)
            return (ReshError.Failed($"{host.Alias} answered the resh check with an unexpected line.", null, new JsonObject { ["host"] = host.Alias, ["line"] = marker }), false);
        var tmp = platform.TempFile;
        var dir = tmp.Contains('/') ? tmp[..tmp.LastIndexOf('/')] : "";
        var arch = RemoteBuilds.Normalize(platform.Arch);
        if (platform.Os != "Linux" || arch is null || arch != binary.Arch)
        {
            // The empty temporary file and dir made for the wrong build are not left behind.
            try { await client.ExecAsync(host, $"rm -f {ShellQuote.Quote(tmp)}; rmdir {ShellQuote.Quote(dir)} 2>/dev/null; exit 0", deadline: TimeSpan.FromSeconds(30)).ConfigureAwait(false); }
            catch (ReshException) { }
            if (platform.Os != "Linux" || arch is null || builds.For(arch) is not { } other) return (builds.NoBuild(host.Alias, platform), false);
            client.Context.Runtime.Log($"ssh: {host.Alias} is {platform.Arch}; sending {other.LocalPath}");
            _chosen[host.Alias] = other;
            RememberArch(host, arch);
            return (null, true);
        }
        if (platform.Check(host.Alias, binary.Arch, binary.RequiredGlibc) is { } unsupported)
        {
            // The empty temporary file the check made is not left behind (housekeeping: a failure here changes nothing).
            try { await client.ExecAsync(host, $"rm -f {ShellQuote.Quote(tmp)}", deadline: TimeSpan.FromSeconds(30)).ConfigureAwait(false); }
            catch (ReshException) { }
            return (unsupported, false);
        }
        if (!dir.StartsWith('/'))
            return (ReshError.Failed($"{host.Alias} reported no usable cache directory.", "Check that $HOME is set on the host.", new JsonObject { ["host"] = host.Alias, ["dir"] = dir }), false);
        return (await UploadAsync(host, tmp, dir, binary).ConfigureAwait(false), false);
    }

    /// <summary>Uploads <paramref name="binary"/> into the temporary file <paramref name="tmp"/> the host prepared in <paramref name="dir"/>.</summary>
    async Task<ReshError?> UploadAsync(HostTarget host, string tmp, string dir, RemoteBinary binary)
    {
        client.Context.Runtime.Log($"ssh: {host.Alias} has no resh {binary.BuildId}; uploading {binary.LocalPath} to {dir}");
        // zstd where the host has it (a sixth of gzip's CPU to unpack), else gzip, else the build as it is.
        foreach (var (tool, make) in new (string, Func<string, Task<string?>>)[] { ("zstd", binary.ZstdAsync), ("gzip", binary.CompressedAsync) })
        {
            if (await make(client.Settings.StateDir).ConfigureAwait(false) is not { } packed) continue;
            // One round trip: the compressed build streams into the 0600 temporary file through TOOL -dc, is
            // checked against its hash, renamed, and old builds are pruned; the host reports the connection
            // it checked the build on, so the run that follows does not hash it again.
            var hex = string.Concat(Enumerable.Repeat("[0-9a-f]", 16));
            var keep = client.Settings.KeepBuilds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var script = $"t={ShellQuote.QuoteOneLine(tmp)}; d={ShellQuote.QuoteOneLine(dir)}; command -v {tool} >/dev/null 2>&1 || exit 98; umask 077; " +
                         $"if {tool} -dc > \"$t\" && h=$(sha256sum < \"$t\") && [ \"${{h%% *}}\" = {binary.Hash} ] && chmod 700 \"$t\" && mv -f \"$t\" \"$d/resh\"; then :; " +
                         "else rm -f \"$t\"; exit 99; fi; c=; if read -r s < /proc/$PPID/stat; then s=${s##*) }; set -- $s; c=\"$PPID.${20}\"; fi 2>/dev/null; " +
                         $"echo \"{CheckedMarker}$c\"; cd \"$d/..\" && n=0 && for b in $(ls -1td {hex} 2>/dev/null); do n=$((n+1)); " +
                         $"if [ $n -gt {keep} ] && [ \"$b\" != {binary.BuildId} ]; then rm -rf -- \"$b\"; fi; done; exit 0";
            client.Context.Runtime.Log($"ssh: sending {host.Alias} the build {tool}-compressed ({packed})");
            var size = new FileInfo(packed).Length;
            var bar = UploadStarted(size);
            var fed = 0L;
            ProcessResult up;
            try
            {
                up = await StdinScript.RunAsync(client, host, script, null, TimeSpan.FromMinutes(10), 64 * 1024, "upload", killOnCancel: false, stdinFile: packed,
                    onFed: n => { fed += n; bar.Add(n); }).ConfigureAwait(false);
            }
            finally
            {
                UploadEnded(size - fed);
            }
            if (up.ExitCode == 0)
            {
                var line = up.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith(CheckedMarker, StringComparison.Ordinal));
                if (line?[CheckedMarker.Length..].Trim() is { Length: > 0 } connection) Remember(host, connection, binary);
                return null;
            }
            if (SshClient.IsSshFailure(up.ExitCode, up.Stderr)) return await client.FailureAsync(host, up.Stderr).ConfigureAwait(false);
            if (up.ExitCode != 98)
                return ReshError.Failed($"Uploading resh to {host.Alias} failed: {up.LastErrorLine}", "Check free space and permissions of the remote cache dir (XDG_CACHE_HOME or ~/.cache).",
                    new JsonObject { ["host"] = host.Alias, ["phase"] = "upload", ["dir"] = dir, ["stderr"] = up.Stderr });
            client.Context.Runtime.Log($"ssh: {host.Alias} has no {tool}");
        }
        // The host made the temporary file (0600, its name in the marker): sftp writes into it without
        // changing its mode (no -p), so the build is never readable by others, even half-written.
        var batch = $"put {SftpQuote(binary.LocalPath)} {SftpQuote(tmp)}\nchmod 700 {SftpQuote(tmp)}\nrename {SftpQuote(tmp)} {SftpQuote(dir + "/resh")}\n";
        var r = await client.SftpAsync(host, batch, TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        if (r.ExitCode == 0)
        {
            await PruneAsync(host, dir, binary).ConfigureAwait(false);
            return null;
        }
        if (SshClient.IsSshFailure(r.ExitCode, r.Stderr)) return await client.FailureAsync(host, r.Stderr).ConfigureAwait(false);
        // A concurrent upload may have won the rename; the binary being there is all that matters.
        var check = await client.ExecAsync(host, $"test -x {ShellQuote.Quote(dir + "/resh")}; rc=$?; rm -f {ShellQuote.Quote(tmp)}; exit $rc", deadline: TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (check.ExitCode == 0) return null;
        return ReshError.Failed($"Uploading resh to {host.Alias} failed: {r.LastErrorLine}", "Check free space and permissions of the remote cache dir (XDG_CACHE_HOME or ~/.cache).",
            new JsonObject { ["host"] = host.Alias, ["phase"] = "upload", ["dir"] = dir, ["stderr"] = r.Stderr });
    }

    readonly object _uploadGate = new();
    Resh.Core.Output.ProgressBar? _uploadBar;
    int _uploading, _uploadHosts;
    long _uploadTotal;

    /// <summary>
    /// The one progress bar of a call's first contacts (stderr on a terminal, the progress observer of a server
    /// surface): the compressed bytes sent to every host that lacks the build, against the bytes all of them need.
    /// </summary>
    Resh.Core.Output.ProgressBar UploadStarted(long bytes)
    {
        lock (_uploadGate)
        {
            _uploading++;
            _uploadHosts++;
            _uploadTotal += bytes;
            _uploadBar ??= client.Context.Progress("resh first contact: uploading the build", null);
            _uploadBar.SetTotal(_uploadTotal);
            return _uploadBar;
        }
    }

    /// <summary>One host's upload ended (<paramref name="unsent"/> bytes it never took count as done); the last one clears the bar.</summary>
    void UploadEnded(long unsent)
    {
        lock (_uploadGate)
        {
            if (_uploadBar is not { } bar) return;
            if (unsent > 0) bar.Add(unsent);
            if (--_uploading > 0) return;
            client.Context.Runtime.Log($"ssh: uploaded the build to {_uploadHosts} host(s), {_uploadTotal} compressed bytes");
            bar.Dispose();
            (_uploadBar, _uploadTotal, _uploadHosts) = (null, 0, 0);
        }
    }

    /// <summary>
    /// Old builds go when a new one arrives: the build dirs of the remote cache (named by 16 hex digits) are
    /// kept newest first by their mtime, which a check refreshes once per connection, up to [ssh] keep_builds.
    /// </summary>
    async Task PruneAsync(HostTarget host, string dir, RemoteBinary binary)
    {
        var parent = dir[..dir.LastIndexOf('/')];
        var hex = string.Concat(Enumerable.Repeat("[0-9a-f]", 16));
        var keep = client.Settings.KeepBuilds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var script = $"cd {ShellQuote.Quote(parent)} || exit 0; n=0; for b in $(ls -1td {hex} 2>/dev/null); do n=$((n+1)); " +
                     $"if [ $n -gt {keep} ] && [ \"$b\" != {ShellQuote.Quote(binary.BuildId)} ]; then rm -rf -- \"$b\"; fi; done";
        try { await client.ExecAsync(host, script, deadline: TimeSpan.FromSeconds(30)).ConfigureAwait(false); }
        catch (ReshException) { } // pruning is housekeeping; the call itself goes on
    }

    /// <summary>sftp's own quoting: double quotes, with backslash before a quote or backslash.</summary>
    public static string SftpQuote(string path)
    {
        if (path.Contains('\n') || path.Contains('\r')) throw ReshError.Usage("Paths with line breaks cannot go through sftp.", null).ToException();
        return "\"" + path.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }

    static byte[]? WithPrefix(Become? become, byte[]? stdin)
    {
        if (become?.StdinPrefix is not { Length: > 0 } prefix) return stdin;
        return stdin is null ? prefix : [.. prefix, .. stdin];
    }

    /// <summary>An answer for another operation than the one asked is not trusted, whatever it says.</summary>
    static ReshError Mismatch(HostTarget host, Identity id, Envelope answer) =>
        ReshError.Failed($"resh on {host.Alias} answered for {answer.Handle}.{answer.Verb}, not the {id.Handle}.{id.Verb} that was asked; the answer was discarded.",
            "The remote resh cache may have been tampered with: delete ${XDG_CACHE_HOME:-~/.cache}/resh on the host and retry.",
            new JsonObject { ["host"] = host.Alias, ["phase"] = "remote", ["asked"] = $"{id.Handle}.{id.Verb}", ["answered"] = $"{answer.Handle}.{answer.Verb}" });

    static Envelope Failure(HostTarget host, Identity id, Stopwatch clock, ReshError error) => new()
    {
        Ok = false, Handle = id.Handle, Verb = id.Verb, Target = id.Target, Host = host.Alias, Error = error,
        DurationMs = clock.Elapsed.TotalMilliseconds,
    };
}
