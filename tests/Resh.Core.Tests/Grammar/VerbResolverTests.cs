using Resh.Core.Errors;
using Resh.Core.Grammar;
using Xunit;

namespace Resh.Core.Tests.Grammar;

public sealed class VerbResolverTests
{
    static readonly Model.HandleInfo T = TestHandles.Handle();

    [Fact]
    public void The_dot_suffix_names_the_verb_and_the_rest_is_the_target()
    {
        var r = VerbResolver.Resolve(T, "/tmp/a.tar.gz.read", null);
        Assert.Equal("read", r.Verb.Name);
        Assert.Equal("/tmp/a.tar.gz", r.RawTarget);
    }

    [Fact]
    public void A_verb_that_looks_like_an_extension_is_only_taken_as_the_suffix()
    {
        var r = VerbResolver.Resolve(T, "/tmp/a.tar.gz", null);
        Assert.Equal("gz", r.Verb.Name);
        Assert.Equal("/tmp/a.tar", r.RawTarget);
    }

    [Fact]
    public void The_next_word_wins_when_it_is_a_verb_and_the_whole_body_is_the_target()
    {
        var r = VerbResolver.Resolve(T, "/tmp/a.tar.gz", "read");
        Assert.Equal("read", r.Verb.Name);
        Assert.Equal("/tmp/a.tar.gz", r.RawTarget);
        Assert.True(r.ConsumedNextWord);
    }

    [Fact]
    public void The_longest_dotted_verb_wins()
    {
        Assert.Equal("lines.ensure", VerbResolver.Resolve(T, "/etc/x.lines.ensure", null).Verb.Name);
        Assert.Equal("/etc/x", VerbResolver.Resolve(T, "/etc/x.lines.ensure", null).RawTarget);
        Assert.Equal("ensure", VerbResolver.Resolve(T, "/etc/x.ensure", null).Verb.Name);
        Assert.Equal("ea.get", VerbResolver.Resolve(T, "/etc/x.ea.get", null).Verb.Name);
    }

    [Fact]
    public void An_empty_target_with_a_verb_is_allowed()
    {
        var r = VerbResolver.Resolve(T, ".read", null);
        Assert.Equal("", r.RawTarget);
        Assert.Equal("read", r.Verb.Name);
    }

    [Fact]
    public void A_misspelt_verb_hints_the_closest_verb()
    {
        var ex = Assert.Throws<ReshException>(() => VerbResolver.Resolve(T, "/etc/hosts.raed", null));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.Contains("`read`", ex.Error.Hint);
    }

    [Theory]
    [InlineData("/etc/hosts.raed", "/etc/hosts.read")]
    [InlineData("/etc/hosts.lines.ensur", "/etc/hosts.lines.ensure")]
    [InlineData("/etc/a.lines.conf.lines.ensur", "/etc/a.lines.conf.lines.ensure")]
    [InlineData("/etc/x.ea.gte", "/etc/x.ea.get")]
    public void The_hint_is_a_call_that_runs_as_written(string body, string call)
    {
        var ex = Assert.Throws<ReshException>(() => VerbResolver.Resolve(T, body, null));
        Assert.EndsWith($"(resh t://{call})", ex.Error.Hint);
        var corrected = VerbResolver.Resolve(T, call, null); // what the hint says resolves, and to the verb it names
        Assert.Contains($"`{corrected.Verb.Name}`", ex.Error.Hint);
    }

    [Fact]
    public void A_misspelt_next_word_hints_the_closest_verb()
    {
        var ex = Assert.Throws<ReshException>(() => VerbResolver.Resolve(T, "/etc/hosts", "red"));
        Assert.Contains("`read`", ex.Error.Hint);
    }

    [Fact]
    public void No_verb_at_all_lists_the_verbs()
    {
        var ex = Assert.Throws<ReshException>(() => VerbResolver.Resolve(T, "/etc/hosts", null));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.NotNull(ex.Error.Details?["verbs"]);
    }

    [Fact]
    public void The_hint_for_a_missing_verb_can_be_pasted()
    {
        // ssh://web01/ ends in a stage separator: the verb goes on web01 itself, not on an empty inner stage.
        var ex = Assert.Throws<ReshException>(() => VerbResolver.Resolve(T, "web01/", null));
        Assert.Contains("resh t://web01.", ex.Error.Hint);
        Assert.DoesNotContain("web01/.", ex.Error.Hint);
        Assert.Equal("'svc://.list(all=true)'", VerbResolver.Pasteable("svc://.list(all=true)"));
        Assert.Equal("ssh://web01.exec", VerbResolver.Pasteable("ssh://web01.exec"));
    }

    [Fact]
    public void Runtime_resource_keys_never_reach_a_message()
    {
        Assert.Equal("Access to the path '/var/spool/cron/crontabs/nobody' is denied.",
            ExceptionTranslation.Readable("UnauthorizedAccess_IODenied_Path, /var/spool/cron/crontabs/nobody"));
        Assert.Equal("arg some thing: x", ExceptionTranslation.Readable("Arg_Some_Thing, x"));
        Assert.Equal("Plain message, with a comma", ExceptionTranslation.Readable("Plain message, with a comma"));
        var error = ExceptionTranslation.ToError(new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /x"));
        Assert.DoesNotContain("UnauthorizedAccess_", error.Details!.ToJsonString());
    }
}
