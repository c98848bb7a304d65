using System.Diagnostics;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Config;

/// <summary>End-to-end with the native binary, on temporary copies (never a real /etc file).</summary>
public sealed class ConfigExactCallsTests
{
    const string AppYaml = "# app settings\nserver:\n  host: 0.0.0.0   # all interfaces\n  port: 80\n\nlogging:\n  level: info\n";

    [Fact]
    public void Issue_calls_work_exactly_as_written_on_a_copy()
    {
        using var dir = new TempDir("config");
        var file = dir.File("app/config.yaml", AppYaml);
        var set = ReshBinary.Run($"config://{file}.set(key=server.port,value:=8080)");
        Assert.True(set.Ok, set.ToString());
        Assert.True(set.Changed);
        Assert.Equal(AppYaml.Replace("  port: 80\n", "  port: 8080\n"), File.ReadAllText(file));
        var get = ReshBinary.Run($"config://{file}.get", "key=server.port");
        Assert.True(get.Ok, get.ToString());
        Assert.Equal(8080, get.Result!["value"]!.GetValue<long>());
        Assert.Equal("number", get.Result!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Same_value_is_unchanged_and_leaves_the_file_alone()
    {
        using var dir = new TempDir("config");
        var file = dir.File("config.yaml", AppYaml);
        var before = new FileInfo(file).LastWriteTimeUtc;
        var inode = Inode(file);
        var run = ReshBinary.Run($"config://{file}.set(key=server.port,value:=80)");
        Assert.True(run.Ok, run.ToString());
        Assert.False(run.Changed);
        Assert.Equal(inode, Inode(file));
        Assert.Equal(before, new FileInfo(file).LastWriteTimeUtc);
    }

    [Fact]
    public void String_and_typed_values_differ_and_dry_run_shows_a_diff_without_writing()
    {
        using var dir = new TempDir("config");
        var file = dir.File("config.yaml", AppYaml);
        var dry = ReshBinary.Run($"config://{file}", "set", "key=server.port", "value=8080", "--dry-run");
        Assert.True(dry.Ok, dry.ToString());
        Assert.True(dry.Changed);
        Assert.Contains("-  port: 80\n+  port: \"8080\"", dry.Result!["diff"]!.GetValue<string>());
        Assert.Equal(AppYaml, File.ReadAllText(file));
    }

    [Fact]
    public void Mode_and_owner_are_kept_and_a_symlink_is_followed_with_the_link_kept()
    {
        using var dir = new TempDir("config");
        var real = dir.File("real/app.toml", "# tuning\n[server]\nport = 80 # http\n");
        File.SetUnixFileMode(real, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Assert.Equal(0, Shell("chown", "65534:65534", real));
        var link = dir["link.toml"];
        File.CreateSymbolicLink(link, real);
        var run = ReshBinary.Run($"config://{link}", "set", "key=server.port", "value:=8080");
        Assert.True(run.Ok, run.ToString());
        Assert.True(new FileInfo(link).LinkTarget is not null);
        Assert.Equal("# tuning\n[server]\nport = 8080 # http\n", File.ReadAllText(real));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(real));
        Assert.Equal("65534", Stat("%u", real));
    }

    [Fact]
    public void Each_verb_works_end_to_end()
    {
        using var dir = new TempDir("config");
        var file = dir.File("config.yaml", AppYaml);
        var keys = ReshBinary.Run($"config://{file}", "keys", "key=server");
        Assert.True(keys.Ok, keys.ToString());
        Assert.Equal(2, keys.Result!["count"]!.GetValue<int>());

        var merge = ReshBinary.Run($"config://{file}", "merge", "document:={\"logging\":{\"level\":\"debug\"},\"server\":{\"host\":null}}");
        Assert.True(merge.Ok, merge.ToString());
        Assert.Equal("# app settings\nserver:\n  port: 80\n\nlogging:\n  level: debug\n", File.ReadAllText(file));

        var del = ReshBinary.Run($"config://{file}", "delete", "key=logging.level");
        Assert.True(del.Ok && del.Changed, del.ToString());
        var again = ReshBinary.Run($"config://{file}", "delete", "key=logging.level");
        Assert.True(again.Ok && !again.Changed, again.ToString());

        Assert.Equal("usage", ReshBinary.Run($"config://{file}", "convert", "to=toml").ErrorCode); // logging: is null now, and TOML has no null
        Assert.True(ReshBinary.Run($"config://{file}", "delete", "key=logging").Changed);
        var toml = ReshBinary.Run($"config://{file}", "convert", "to=toml", $"output={dir["out.toml"]}");
        Assert.True(toml.Ok, toml.ToString());
        var back = ReshBinary.Run($"config://{dir["out.toml"]}", "diff", $"other={file}");
        Assert.True(back.Ok, back.ToString());
        Assert.True(back.Result!["equal"]!.GetValue<bool>(), back.ToString());
        var drift = ReshBinary.Run($"config://{file}", "diff", "desired:={\"server\":{\"port\":81}}");
        Assert.False(drift.Result!["equal"]!.GetValue<bool>());
        Assert.Equal("/server/port", drift.Result!["differences"]![0]!["key"]!.GetValue<string>());

        var raw = ReshBinary.Run($"config://{file}", "convert", "to=json", "--format", "raw");
        Assert.Equal(0, raw.ExitCode);
        Assert.StartsWith("{", raw.Stdout);

        var schema = dir.File("schema.json", "{\"type\":\"object\",\"properties\":{\"server\":{\"type\":\"object\",\"properties\":{\"port\":{\"type\":\"integer\",\"maximum\":65535}},\"required\":[\"port\"]}}}");
        var ok = ReshBinary.Run($"config://{file}", "validate", $"schema={schema}");
        Assert.True(ok.Ok, ok.ToString());
        Assert.True(ok.Result!["valid"]!.GetValue<bool>(), ok.ToString());
        ReshBinary.Run($"config://{file}", "set", "key=server.port", "value:=70000");
        var bad = ReshBinary.Run($"config://{file}", "validate", $"schema={schema}");
        Assert.False(bad.Result!["valid"]!.GetValue<bool>(), bad.ToString());
        Assert.Contains(bad.Result!["errors"]!.AsArray(), e => e!["instance"]!.GetValue<string>() == "/server/port");
    }

    [Fact]
    public void Hostile_inputs_get_clear_errors()
    {
        using var dir = new TempDir("config");
        var sb = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 10; i++) sb.Append($"a{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]\n");
        var laughs = dir.File("laughs.yaml", sb.ToString());
        var run = ReshBinary.Run($"config://{laughs}", "get", "key=a9");
        Assert.Equal("usage", run.ErrorCode);
        var deep = dir.File("deep.json", new string('[', 100000) + new string(']', 100000));
        Assert.Equal("usage", ReshBinary.Run($"config://{deep}", "get").ErrorCode);
        var broken = dir.File("broken.yaml", "a: [1, 2\nb: 3\n");
        Assert.Equal("usage", ReshBinary.Run($"config://{broken}", "set", "key=b", "value:=4").ErrorCode);
        Assert.Equal("not_found", ReshBinary.Run($"config://{dir["missing.yaml"]}", "get", "key=a").ErrorCode);
        var scalar = dir.File("s.yaml", "a: 1\n");
        Assert.Equal("conflict", ReshBinary.Run($"config://{scalar}", "set", "key=a.b", "value=x").ErrorCode);
        Assert.Equal("a: 1\n", File.ReadAllText(scalar));
        var huge = dir["huge.yaml"];
        using (var fs = File.Create(huge)) fs.SetLength(65L << 20); // sparse: over the 64 MiB ceiling
        Assert.Equal("failed", ReshBinary.Run($"config://{huge}", "get", "key=a").ErrorCode);
        Assert.Equal("usage", ReshBinary.Run("config:///dev/null", "get", "key=a", "syntax=yaml").ErrorCode); // a device, not a regular file
    }

    [Fact]
    public void An_unprivileged_user_cannot_read_or_change_a_root_only_file()
    {
        using var dir = new TempDir("config");
        var file = dir.File("secret.yaml", "password: hunter2\n");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED); // 0755
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var get = AsNobody($"config://{file}", "get", "key=password");
        Assert.Equal("permission_denied", get.ErrorCode);
        Assert.DoesNotContain("hunter2", get.Stdout);
        var set = AsNobody($"config://{file}", "set", "key=password", "value=x");
        Assert.Equal("permission_denied", set.ErrorCode);
        Assert.Equal("password: hunter2\n", File.ReadAllText(file));
        Assert.Equal(new[] { "secret.yaml" }, Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).ToArray());
    }

    internal static ReshRun AsNobody(params string[] args)
    {
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--", ReshBinary.Path }.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment["RESH_HOME"] = "/nonexistent";
        psi.Environment["HOME"] = "/nonexistent";
        psi.Environment.Remove("RESH_CONFIG");
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)));
        return new ReshRun(p.ExitCode, output.Result, error.Result, Encoding.UTF8.GetBytes(output.Result));
    }

    internal static int Shell(params string[] argv)
    {
        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    internal static string Stat(string format, string path)
    {
        var psi = new ProcessStartInfo("stat") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in new[] { "-c", format, path }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var s = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return s;
    }

    static string Inode(string path) => Stat("%i", path);
}
