using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>The read-only backends: env, file (a /run/secrets-like directory) and pass (a real password store).</summary>
public sealed class SecretBackendTests(PassStore pass) : IClassFixture<PassStore>
{
    [Fact]
    public void The_env_backend_reads_a_variable_by_its_name_or_a_mapped_name()
    {
        using var kit = new SecretKit();
        var value = SecretKit.Canary();
        kit.Env("DB_APP", value).Env("RESH_TEST_TOKEN", value + "-t");
        Assert.Equal(value, kit.Run("secret://DB_APP.get", "backend=env", "reveal=true", "--format", "raw").Stdout);
        Assert.Equal(value, kit.Run("secret://db/app.get", "backend=env", "reveal=true", "--format", "raw").Stdout);
        Assert.True(SecretKit.Ok(kit.Run("secret://DB_APP.exists", "backend=env"))["exists"]!.GetValue<bool>());
        var list = SecretKit.Ok(kit.Run("secret://RESH_TEST_.list", "backend=env"));
        Assert.Equal(["RESH_TEST_TOKEN"], list["secrets"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()));
        SecretKit.Fails(kit.Run("secret://NOT_SET_ANYWHERE.get", "backend=env"), "not_found");
        SecretKit.Fails(kit.Run("secret://DB_APP.delete", "backend=env"), "unsupported");
        foreach (var r in kit.Runs.Where(r => r.Stdout != value)) Assert.DoesNotContain(value, r.Stdout + r.Stderr);
    }

    [Fact]
    public void The_file_backend_reads_mounted_files_and_refuses_a_symlink_out_of_its_directory()
    {
        using var kit = new SecretKit();
        var dir = Path.Combine(kit.Temp, "run-secrets");
        Directory.CreateDirectory(Path.Combine(dir, "db"));
        var value = SecretKit.Canary();
        File.WriteAllText(Path.Combine(dir, "db", "app"), value + "\n");
        // Kubernetes' layout: the visible name is a symlink into ..data.
        Directory.CreateDirectory(Path.Combine(dir, "..2026_01_01"));
        File.WriteAllText(Path.Combine(dir, "..2026_01_01", "token"), "token-value-1234");
        File.CreateSymbolicLink(Path.Combine(dir, "..data"), "..2026_01_01");
        File.CreateSymbolicLink(Path.Combine(dir, "token"), "..data/token");
        File.CreateSymbolicLink(Path.Combine(dir, "escape"), "/etc/hostname");

        Assert.Equal(value, kit.Run("secret://db/app.get", "backend=file", $"dir={dir}", "reveal=true", "--format", "raw").Stdout);
        Assert.Equal("token-value-1234", kit.Run("secret://token.get", "backend=file", $"dir={dir}", "reveal=true", "--format", "raw").Stdout);
        var names = SecretKit.Ok(kit.Run("secret://.list", "backend=file", $"dir={dir}"))["secrets"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("db/app", names);
        Assert.Contains("token", names);
        Assert.DoesNotContain(names, n => n.StartsWith('.'));
        SecretKit.Fails(kit.Run("secret://escape.get", "backend=file", $"dir={dir}"), "permission_denied");
        SecretKit.Fails(kit.Run("secret://nope.get", "backend=file", $"dir={dir}"), "not_found");

        // [secret] backend and dir in the config make it the default, also for secret:NAME references.
        var config = Path.Combine(kit.Temp, "config.toml");
        File.WriteAllText(config, $"[secret]\nbackend = \"file\"\ndir = \"{dir}\"\n");
        var viaConfig = kit.Run(["secret://.exec", "env=TOKEN:token", "--", "sh", "-c", "printf %s \"${#TOKEN}\""], null, new Dictionary<string, string> { ["RESH_CONFIG"] = config });
        Assert.Equal("16", SecretKit.Ok(viaConfig)["stdout"]!.GetValue<string>());
    }

    [Fact]
    public void The_pass_backend_decrypts_the_first_line_with_gpg()
    {
        using var kit = new SecretKit();
        var value = SecretKit.Canary();
        pass.Insert("web/api", value + "\nuser: deploy\nurl: https://example.invalid\n");
        var env = pass.Env;
        var get = kit.Run(["secret://web/api.get", "backend=pass", "reveal=true", "--format", "raw"], null, env);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(value, get.Stdout);
        var list = SecretKit.Ok(kit.Run(["secret://.list", "backend=pass"], null, env));
        Assert.Contains(list["secrets"]!.AsArray(), s => s!["name"]!.GetValue<string>() == "web/api");
        Assert.DoesNotContain(value, list.ToJsonString());
        SecretKit.Fails(kit.Run(["secret://web/nope.get", "backend=pass"], null, env), "not_found");

        // secret:pass:NAME picks the backend inside a reference.
        var exec = kit.Run(["secret://.exec", "env=API:web/api", "backend=pass", "--", "sh", "-c", "printf %s \"${#API}\""], null, env);
        Assert.Equal(value.Length.ToString(), SecretKit.Ok(exec)["stdout"]!.GetValue<string>());
        // VAR:pass:NAME picks the backend per variable, next to one from the local keystore (user review #10).
        SecretKit.Ok(kit.Run(["secret://db/app.set", "value=env:LOCALV"], null, new Dictionary<string, string>(env) { ["LOCALV"] = "local-value-1" }));
        var mixed = kit.Run(["secret://.exec", "env=API:pass:web/api,DB:db/app", "--", "sh", "-c", "printf '%s %s' \"${#API}\" \"$DB\""], null, env);
        Assert.Equal($"{value.Length} ***", SecretKit.Ok(mixed)["stdout"]!.GetValue<string>());
        SecretKit.Fails(kit.Run(["secret://.exec", "env=API:vault:web/api", "--", "true"], null, env), "usage");
        var src = Path.Combine(kit.Temp, "a.txt");
        File.WriteAllText(src, "x");
        SecretKit.Ok(kit.Run([$"archive://{Path.Combine(kit.Temp, "p.zip")}.create(sources={src})", "password=secret:pass:web/api"], null, env));
        Assert.Equal(0, kit.Run([$"archive://{Path.Combine(kit.Temp, "p.zip")}.test", $"password=file:{WriteFile(kit, value)}"], null, env).ExitCode);
        foreach (var r in kit.Runs.Where(r => r.Stdout != value)) Assert.DoesNotContain(value, r.Stdout + r.Stderr);
    }

    static string WriteFile(SecretKit kit, string value)
    {
        var path = Path.Combine(kit.Temp, "pw");
        File.WriteAllText(path, value + "\n");
        return path;
    }
}
