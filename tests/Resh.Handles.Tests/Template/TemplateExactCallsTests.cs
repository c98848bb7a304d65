using System.Diagnostics;
using Resh.Handles.Tests.Secret;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Template;

/// <summary>template:// end to end with the binary: the issue's calls, dest writes, dry runs, secrets, and hostile templates.</summary>
public sealed class TemplateExactCallsTests
{
    const string Nginx = "server {\n    listen {{ port }};\n{% for name in names | default(['_']) %}\n    server_name {{ name }};\n{% endfor %}\n}\n";

    [Fact]
    public void Issue_calls_work_exactly_as_written()
    {
        using var dir = new TempDir("tmpl");
        var tmpl = dir.File("nginx.conf.tmpl", Nginx);
        var dest = dir["nginx.conf"];
        var run = ReshBinary.Run($"template://{tmpl}.render(dest={dest},vars:={{\"port\":8080}})");
        Assert.True(run.Ok, run.ToString());
        Assert.True(run.Changed);
        Assert.Equal("server {\n    listen 8080;\n    server_name _;\n}\n", File.ReadAllText(dest));

        var vars = ReshBinary.Run($"template://{tmpl}.vars");
        Assert.True(vars.Ok, vars.ToString());
        Assert.Equal("vars", vars.Envelope["verb"]!.GetValue<string>());
        Assert.Equal(["names", "port"], vars.Result!["variables"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()));
    }

    [Fact]
    public void Dest_is_atomic_unchanged_on_a_second_run_and_takes_mode_and_owner()
    {
        using var dir = new TempDir("tmpl");
        var tmpl = dir.File("app.j2", "a={{ a }}\n");
        var dest = dir["out/app.conf"];
        Directory.CreateDirectory(dir["out"]);
        var first = ReshBinary.Run($"template://{tmpl}", "render", $"dest={dest}", "vars:={\"a\":1}", "mode=0640", "owner=65534", "group=65534");
        Assert.True(first.Ok, first.ToString());
        Assert.True(first.Changed);
        Assert.Equal("0640", first.Result!["mode"]!.GetValue<string>());
        Assert.Equal((UnixFileMode)0x1A0, File.GetUnixFileMode(dest));
        Assert.Equal("65534", Sh.Ok("stat", "-c", "%u:%g", dest).Trim().Split(':')[0]);
        var inode = Sh.Ok("stat", "-c", "%i", dest);

        var second = ReshBinary.Run($"template://{tmpl}", "render", $"dest={dest}", "vars:={\"a\":1}", "mode=0640", "owner=65534", "group=65534");
        Assert.True(second.Ok, second.ToString());
        Assert.False(second.Changed);
        Assert.Null(second.Result!["diff"]);
        Assert.Equal(inode, Sh.Ok("stat", "-c", "%i", dest)); // not rewritten

        var third = ReshBinary.Run($"template://{tmpl}", "render", $"dest={dest}", "vars:={\"a\":2}");
        Assert.True(third.Changed);
        Assert.NotEqual(inode, Sh.Ok("stat", "-c", "%i", dest)); // replaced by rename
        Assert.Equal((UnixFileMode)0x1A0, File.GetUnixFileMode(dest)); // mode kept
        Assert.DoesNotContain(Directory.GetFiles(dir["out"]), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Dry_run_shows_the_diff_and_writes_nothing()
    {
        using var dir = new TempDir("tmpl");
        var tmpl = dir.File("app.j2", "a={{ a }}\nb=2\n");
        var dest = dir.File("app.conf", "a=1\nb=2\n");
        var run = ReshBinary.Run($"template://{tmpl}", "render", $"dest={dest}", "vars:={\"a\":5}", "--dry-run");
        Assert.True(run.Ok, run.ToString());
        Assert.True(run.Changed);
        Assert.Contains("-a=1\n+a=5", run.Result!["diff"]!.GetValue<string>());
        Assert.Equal("a=1\nb=2\n", File.ReadAllText(dest));
        var missing = dir["new.conf"];
        var created = ReshBinary.Run($"template://{tmpl}", "render", $"dest={missing}", "vars:={\"a\":5}", "--dry-run");
        Assert.True(created.Changed);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public void Raw_prints_the_text_and_vars_file_merges_under_json()
    {
        using var dir = new TempDir("tmpl");
        var tmpl = dir.File("t.j2", "{{ server.host }}:{{ server.port }} {{ name }}");
        var yml = dir.File("vars.yml", "server:\n  host: db\n  port: 5432\nname: from-file\n");
        var raw = ReshBinary.Run($"template://{tmpl}", "render", $"vars=@{yml}", "vars:={\"server\":{\"port\":6432}}", "--format", "raw");
        Assert.Equal(0, raw.ExitCode);
        Assert.Equal("db:6432 from-file", raw.Stdout);
        var toml = dir.File("vars.toml", "name = \"toml\"\n[server]\nhost = \"h\"\nport = 1\n");
        var t = ReshBinary.Run($"template://{tmpl}", "render", $"vars=@{toml}");
        Assert.Equal("h:1 toml", t.Result!["content"]!.GetValue<string>());
    }

    [Fact]
    public void Errors_have_codes_positions_and_hints()
    {
        using var dir = new TempDir("tmpl");
        var tmpl = dir.File("t.j2", "ok\n{{ prot }}\n");
        var run = ReshBinary.Run($"template://{tmpl}", "render", "vars:={\"port\":1}");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("t.j2:2:4: 'prot' is undefined.", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(2, run.Envelope["error"]!["details"]!["line"]!.GetValue<int>());
        Assert.NotNull(run.Envelope["error"]!["hint"]);
        Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);

        var lenient = ReshBinary.Run($"template://{tmpl}", "render", "strict=false");
        Assert.Equal("ok\n\n", lenient.Result!["content"]!.GetValue<string>());

        var syntax = dir.File("bad.j2", "{% for x in %}{% endfor %}");
        var validate = ReshBinary.Run($"template://{syntax}", "validate");
        Assert.Equal(9, validate.ExitCode); // invalid: the result is kept, the exit is partial
        Assert.False(validate.Result!["valid"]!.GetValue<bool>());
        Assert.Equal(1, validate.Result!["errors"]![0]!["line"]!.GetValue<int>());
        var undefined = ReshBinary.Run($"template://{tmpl}", "validate", "vars:={\"port\":1}");
        Assert.False(undefined.Result!["valid"]!.GetValue<bool>());
        Assert.Equal("prot", undefined.Result!["undefined"]![0]!["name"]!.GetValue<string>());

        Assert.Equal("not_found", ReshBinary.Run($"template://{dir["none.j2"]}", "render").ErrorCode);
    }

    [Fact]
    public void Test_verb_runs_cases_and_fails_with_partial()
    {
        using var dir = new TempDir("tmpl");
        var tmpl = dir.File("t.j2", "port={{ port }}\n");
        var cases = dir.File("cases.yml", "- name: ok\n  vars: {port: 80}\n  expect: \"port=80\\n\"\n- name: contains\n  vars: {port: 81}\n  contains: [\"=81\"]\n  not_contains: \"=80\"\n- name: missing\n  expect_error: \"'port' is undefined\"\n");
        var run = ReshBinary.Run($"template://{tmpl}", "test", $"cases={cases}");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(3, run.Result!["passed"]!.GetValue<int>());
        var bad = dir.File("bad.yml", "- name: wrong\n  vars: {port: 1}\n  expect: \"port=2\"\n- name: right\n  vars: {port: 2}\n  contains: \"port=2\"\n");
        var failed = ReshBinary.Run($"template://{tmpl}", "test", $"cases={bad}");
        Assert.Equal(9, failed.ExitCode);
        Assert.Equal("partial", failed.ErrorCode);
        Assert.Equal(1, failed.Result!["failed"]!.GetValue<int>());
        Assert.False(failed.Result!["results"]![0]!["passed"]!.GetValue<bool>());
    }

    [Fact]
    public void A_secret_reaches_the_file_and_no_envelope()
    {
        using var kit = new SecretKit();
        const string value = "s3cr3t-canary-value";
        SecretKit.Ok(kit.Stdin(value, "secret://db_password.set", "value=@-"));
        var tmpl = Path.Combine(kit.Temp, "db.conf.j2");
        File.WriteAllText(tmpl, "user=app\npassword={{ secret('db_password') }}\nhost={{ host }}\n");
        var dest = Path.Combine(kit.Temp, "db.conf");

        var dry = kit.Run($"template://{tmpl}", "render", $"dest={dest}", "vars:={\"host\":\"db\"}", "--dry-run");
        Assert.True(dry.Ok, dry.ToString());
        Assert.Equal("diff withheld: the template reads a secret (3 lines added, 0 removed)", dry.Result!["diff"]!.GetValue<string>());
        Assert.False(File.Exists(dest));

        var render = kit.Run($"template://{tmpl}", "render", $"dest={dest}", "vars:={\"host\":\"db\"}");
        Assert.True(render.Ok, render.ToString());
        Assert.Equal($"user=app\npassword={value}\nhost=db\n", File.ReadAllText(dest));
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(dest)); // a new file holding a secret is 0600
        Assert.Equal(["db_password"], render.Result!["secrets"]!.AsArray().Select(s => s!.GetValue<string>()));

        File.WriteAllText(tmpl, "password={{ secret('db_password') }}\nhost={{ host }}\n");
        var changed = kit.Run($"template://{tmpl}", "render", $"dest={dest}", "vars:={\"host\":\"db2\"}");
        Assert.True(changed.Ok, changed.ToString());
        Assert.StartsWith("diff withheld: the template reads a secret", changed.Result!["diff"]!.GetValue<string>());

        var stdout = kit.Run($"template://{tmpl}", "render", "vars:={\"host\":\"x\"}");
        Assert.True(stdout.Ok, stdout.ToString());
        Assert.Null(stdout.Result!["content"]);
        var raw = kit.Run($"template://{tmpl}", "render", "vars:={\"host\":\"x\"}", "--format", "raw");
        Assert.Equal(2, raw.ExitCode); // usage: --format raw prints no text of a render that read a secret
        Assert.Contains("error[usage]", raw.Stderr);
        Assert.Contains("dest=", raw.Stderr);
        kit.Run($"template://{tmpl}", "validate", "vars:={\"host\":\"x\"}");
        File.WriteAllText(tmpl, "password={{ secret('db_password') }}\n{{ secret('db_password') | int(default=undefined_name) }}{{ nope }}\n");
        var error = kit.Run($"template://{tmpl}", "render");
        Assert.False(error.Ok);
        File.WriteAllText(tmpl, "{{ secret('db_password') ~ 'x' | bogus }}");
        kit.Run($"template://{tmpl}", "render");
        File.WriteAllText(tmpl, "{{ secret('db_password')|regex_search('(') }}");
        kit.Run($"template://{tmpl}", "render");
        File.WriteAllText(tmpl, "{{ secret('db_password')|int + 'x' }}");
        kit.Run($"template://{tmpl}", "render");

        foreach (var run in kit.Runs)
            Assert.DoesNotContain(value, run.Stdout + run.Stderr);
    }

    [Fact]
    public void A_secret_does_not_leak_through_filters_diffs_errors_or_tests()
    {
        using var kit = new SecretKit();
        const string value = "Hunter2Secret";
        SecretKit.Ok(kit.Stdin(value, "secret://db/pw.set", "value=@-"));
        string[] forms = [value, "HUNTER2SECRET", "SHVudGVyMlNlY3JldA==", "terceS2retnuH", "H-u-n-t-e-r", "unter2Secret", "Hunter2_ecret", "Hun"];
        var tmpl = Path.Combine(kit.Temp, "s.j2");
        foreach (var body in new[]
        {
            "{{ secret('db/pw') | upper }}", "{{ secret('db/pw') | b64encode }}", "{{ secret('db/pw') | reverse }}",
            "{{ secret('db/pw') | list | join('-') }}", "{{ secret('db/pw')[1:] }}", "{{ secret('db/pw') | replace('S','_') }}",
            "x{{ secret('db/pw')[0:3] }}", "{{ {}[secret('db/pw')|upper] }}", "{{ secret('db/pw') | int + 'x' }}",
        })
        {
            File.WriteAllText(tmpl, body);
            kit.Run($"template://{tmpl}", "render");
            kit.Run($"template://{tmpl}", "render", "--format", "raw");
            kit.Run($"template://{tmpl}", "validate", "vars:={}");
        }
        var undefinedIndex = kit.Runs[^6];
        Assert.Equal("usage", undefinedIndex.ErrorCode);
        Assert.Contains("s.j2:1:", undefinedIndex.Envelope["error"]!["message"]!.GetValue<string>());

        var dest = Path.Combine(kit.Temp, "dest.txt");
        File.WriteAllText(dest, "old\n");
        File.WriteAllText(tmpl, "pw={{ secret('db/pw') | b64encode }}\n");
        var dry = kit.Run($"template://{tmpl}", "render", $"dest={dest}", "--dry-run");
        Assert.Equal("diff withheld: the template reads a secret (1 line added, 1 removed)", dry.Result!["diff"]!.GetValue<string>());
        Assert.Equal("old\n", File.ReadAllText(dest));

        File.WriteAllText(tmpl, "pw={{ secret('db/pw') }}\n");
        var cases = Path.Combine(kit.Temp, "cases.yml");
        File.WriteAllText(cases, "- {name: a, contains: \"pw=Hunt\"}\n- {name: b, contains: \"pw=Hunx\"}\n- {name: c, expect: \"pw=Hunter2Sxx\"}\n- {name: d, not_contains: \"Hun\"}\n");
        var test = kit.Run($"template://{tmpl}", "test", $"cases={cases}");
        Assert.Equal("partial", test.ErrorCode);
        Assert.Equal(4, test.Result!["failed"]!.GetValue<int>());
        foreach (var r in test.Result!["results"]!.AsArray())
            Assert.Contains("read a secret", r!["message"]!.GetValue<string>());

        foreach (var run in kit.Runs)
            foreach (var form in forms)
                Assert.DoesNotContain(form, run.Stdout + run.Stderr);
    }

    [Fact]
    public void A_template_symlink_is_refused_where_protected_symlinks_would_and_may_not_leave_its_directory()
    {
        using var dir = new TempDir("tmpl");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED); // 0755
        var victim = Directory.CreateDirectory(dir["victim"]).FullName;
        var rootFile = Path.Combine(victim, "rootfile");
        File.WriteAllText(rootFile, "ROOT ONLY DATA\n");
        File.SetUnixFileMode(rootFile, (UnixFileMode)0x180);
        var sticky = Directory.CreateDirectory(dir["sticky"]).FullName;
        File.SetUnixFileMode(sticky, (UnixFileMode)0x3FF); // 1777
        var plantedTarget = Path.Combine(sticky, "target.j2");
        File.WriteAllText(plantedTarget, "ROOT ONLY DATA\n");
        File.SetUnixFileMode(plantedTarget, (UnixFileMode)0x180);
        Assert.Equal(0, Sh.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "ln", "-s", plantedTarget, Path.Combine(sticky, "evil.j2")).Code);
        var top = ReshBinary.Run($"template://{sticky}/evil.j2", "render");
        Assert.Equal("permission_denied", top.ErrorCode);
        Assert.Contains("protected_symlinks", top.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("ROOT ONLY", top.Stdout);

        Assert.Equal(0, Sh.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "ln", "-s", "target.j2", Path.Combine(sticky, "inc.j2")).Code);
        File.WriteAllText(Path.Combine(sticky, "main.j2"), "{% include 'inc.j2' %}");
        var inc = ReshBinary.Run($"template://{sticky}/main.j2", "render");
        Assert.Equal("permission_denied", inc.ErrorCode);
        Assert.DoesNotContain("ROOT ONLY", inc.Stdout);

        var esc = Directory.CreateDirectory(dir["esc"]).FullName;
        File.CreateSymbolicLink(Path.Combine(esc, "sh.j2"), rootFile);
        var outOfDir = ReshBinary.Run($"template://{esc}/sh.j2", "render");
        Assert.Equal("permission_denied", outOfDir.ErrorCode);
        Assert.DoesNotContain("ROOT ONLY", outOfDir.Stdout);

        File.WriteAllText(Path.Combine(esc, "real.j2"), "{% include 'part.j2' %}");
        File.WriteAllText(Path.Combine(esc, "part.j2"), "in esc");
        File.WriteAllText(Path.Combine(victim, "part.j2"), "in victim");
        File.CreateSymbolicLink(Path.Combine(esc, "alias.j2"), "real.j2");
        Assert.Equal("in esc", ReshBinary.Run($"template://{esc}/alias.j2", "render").Result!["content"]!.GetValue<string>());
    }

    [Fact]
    public void Hostile_templates_are_bounded()
    {
        using var dir = new TempDir("tmpl");
        var fifo = dir["fifo.j2"];
        Assert.Equal(0, Sh.Run("mkfifo", fifo).Code);
        var viaFifo = dir.File("fifo-include.j2", "{% include 'fifo.j2' %}");
        var sw = Stopwatch.StartNew();
        var run = ReshBinary.Run([$"template://{viaFifo}", "render"], wait: TimeSpan.FromSeconds(20));
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("fifo", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal("usage", ReshBinary.Run([$"template://{fifo}", "render"], wait: TimeSpan.FromSeconds(20)).ErrorCode);

        var cycle = dir.File("a.j2", "{% include 'b.j2' %}");
        dir.File("b.j2", "{% include 'a.j2' %}");
        Assert.Equal("usage", ReshBinary.Run($"template://{cycle}", "render").ErrorCode);

        var huge = dir.File("huge.j2", "{% for i in range(1000000) %}{{ 'x' * 100 }}{% endfor %}");
        var big = ReshBinary.Run($"template://{huge}", "render", "max_size=1MiB");
        Assert.Equal("failed", big.ErrorCode);
        Assert.Contains("max_size", big.Envelope["error"]!["message"]!.GetValue<string>());

        var regex = dir.File("re.j2", "{{ ('a' * 5000 ~ '!')|regex_replace('(a|aa)+$', 'x') }}");
        var re = ReshBinary.Run([$"template://{regex}", "render"], wait: TimeSpan.FromSeconds(30));
        Assert.Equal("timeout", re.ErrorCode);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60));

        var outer = dir.File("outside.txt", "outside");
        var sub = Directory.CreateDirectory(dir["root"]).FullName;
        var escape = Path.Combine(sub, "escape.j2");
        File.WriteAllText(escape, "{% include '../outside.txt' %}");
        Assert.Equal("permission_denied", ReshBinary.Run($"template://{escape}", "render").ErrorCode);
        File.CreateSymbolicLink(Path.Combine(sub, "link.j2"), outer);
        File.WriteAllText(escape, "{% include 'link.j2' %}");
        Assert.Equal("permission_denied", ReshBinary.Run($"template://{escape}", "render").ErrorCode);
        Assert.Equal("outside", ReshBinary.Run($"template://{escape}", "render", $"root={dir.Path}").Result!["content"]!.GetValue<string>());
    }

    [Fact]
    public void As_nobody_a_template_cannot_write_outside_dest()
    {
        using var dir = new TempDir("tmpl");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1FF); // 0777: nobody may create its dest here
        var guard = dir.File("guard.txt", "root's file\n");
        File.SetUnixFileMode(guard, (UnixFileMode)0x1A4);
        var tmpl = dir.File("hostile.j2", "{% set xs = [] %}{{ xs.append(1) }}{% include '" + guard + "' %}{{ 'x' | to_json }}\n");
        File.SetUnixFileMode(tmpl, (UnixFileMode)0x1A4);
        var dest = dir["out.conf"];
        var run = Sh.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", ReshBinary.Path, $"template://{tmpl}", "render", $"dest={dest}");
        Assert.Equal(0, run.Code);
        Assert.Equal("root's file\n", File.ReadAllText(guard));
        Assert.Equal("root's file\n\"x\"\n", File.ReadAllText(dest));
        Assert.Equal("65534", Sh.Ok("stat", "-c", "%u", dest).Trim());
        var other = Sh.Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", ReshBinary.Path, $"template://{tmpl}", "render", $"dest={guard}");
        Assert.Equal(4, other.Code); // permission_denied: nobody may not replace root's file
        Assert.Equal("root's file\n", File.ReadAllText(guard));
    }
}
