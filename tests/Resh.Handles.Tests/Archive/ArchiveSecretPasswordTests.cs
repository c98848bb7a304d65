using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Archive;

/// <summary>archive's password is a secret-typed argument: every source works, and the value shows up nowhere.</summary>
public sealed class ArchiveSecretPasswordTests
{
    [Fact]
    public void Env_file_and_stdin_sources_open_the_same_encrypted_zip_and_never_print_the_password()
    {
        using var dir = new TempDir("arcsec");
        var password = "canary-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(dir["a.txt"], "hello\n");
        File.WriteAllText(dir["pw"], password + "\nignored second line\n");
        var env = new Dictionary<string, string> { ["ZIP_PASSWORD"] = password };

        var create = ReshBinary.Run([$"archive://{dir["x.zip"]}.create(sources={dir["a.txt"]})", "password=env:ZIP_PASSWORD", "--verbose"], env: env);
        Assert.True(create.Ok, create.ToString());
        Assert.True(create.Result!["encrypted"]!.GetValue<bool>());
        Assert.Empty(create.Envelope["warnings"]!.AsArray());

        var viaFile = ReshBinary.Run($"archive://{dir["x.zip"]}.extract(destination={dir["o1"]})", $"password=file:{dir["pw"]}");
        Assert.True(viaFile.Ok, viaFile.ToString());
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(dir["o1"], "a.txt")));

        var viaStdin = ReshBinary.Run([$"archive://{dir["x.zip"]}.test", "password=@-", "--format", "yaml"], stdin: password + "\n");
        Assert.Equal(0, viaStdin.ExitCode);

        var literal = ReshBinary.Run($"archive://{dir["x.zip"]}.test", $"password={password}", "--format", "table");
        Assert.Equal(0, literal.ExitCode);
        Assert.Contains("literal secret", literal.Stdout + literal.Stderr);

        foreach (var run in new[] { create, viaFile, viaStdin, literal })
            Assert.DoesNotContain(password, run.Stdout + run.Stderr);
    }

    [Fact]
    public void A_wrong_password_and_a_missing_source_are_clear_errors_without_the_value()
    {
        using var dir = new TempDir("arcsec");
        var password = "canary-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(dir["a.txt"], "hello\n");
        var env = new Dictionary<string, string> { ["ZIP_PASSWORD"] = password, ["WRONG_PASSWORD"] = password + "-wrong" };
        Assert.True(ReshBinary.Run([$"archive://{dir["x.zip"]}.create(sources={dir["a.txt"]})", "password=env:ZIP_PASSWORD"], env: env).Ok);

        var wrong = ReshBinary.Run([$"archive://{dir["x.zip"]}.extract(destination={dir["o"]})", "password=env:WRONG_PASSWORD"], env: env);
        Assert.Equal("permission_denied", wrong.ErrorCode);
        Assert.DoesNotContain(password, wrong.Stdout + wrong.Stderr);

        var unset = ReshBinary.Run($"archive://{dir["x.zip"]}.extract(destination={dir["o"]})", "password=env:RESH_SURELY_UNSET_PW");
        Assert.Equal("usage", unset.ErrorCode);
        Assert.Contains("RESH_SURELY_UNSET_PW", unset.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.False(Directory.Exists(dir["o"]));
    }
}
