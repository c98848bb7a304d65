using Resh.Core.Secrets;
using Xunit;

namespace Resh.Core.Tests.Secrets;

/// <summary>
/// s41: four rules judged "looks like a secret name" and disagreed (config/audit, env=, MCP sources, shell history).
/// SecretKeys.LooksSecret is now the one rule: the union of what they caught, without their false positives.
/// </summary>
public sealed class SecretNameRuleTests
{
    [Theory]
    // env= names the config rule missed: any WORD_KEY whose WORD is no plain kind of key.
    [InlineData("STRIPE_KEY"), InlineData("OPENAI_KEY"), InlineData("DNS_KEY"), InlineData("wrapped_key"), InlineData("host-key"), InlineData("rsaKey")]
    [InlineData("DB_PASSWORD"), InlineData("API_TOKEN"), InlineData("AWS_SECRET_ACCESS_KEY"), InlineData("GITHUB_AUTH"), InlineData("SSH_KEY"), InlineData("MYSQL_PWD")]
    // MCP's undeclared names (become_password, bearer) and the shell's (credential, passphrase).
    [InlineData("become_password"), InlineData("bearer"), InlineData("credential"), InlineData("passphrase"), InlineData("db_passwd"), InlineData("pw")]
    [InlineData("api_key"), InlineData("apikey"), InlineData("private_key"), InlineData("client_secret"), InlineData("jwt"), InlineData("GITHUB_PAT")]
    // s41 attacker #1/#3: credentials a wider plain-key list and whole-word PASS let through.
    [InlineData("TWITCH_STREAM_KEY"), InlineData("COOKIE_HASH_KEY"), InlineData("GOOGLE_MAP_KEY"), InlineData("ALGOLIA_SEARCH_KEY"), InlineData("stream_key")]
    [InlineData("passcode"), InlineData("dbpass"), InlineData("sshpass"), InlineData("adminPass"), InlineData("passkey")]
    // s41 review: a config key named exactly PWD (or pwd) is a password; config:// showed its value.
    [InlineData("PWD"), InlineData("pwd"), InlineData("Pwd"), InlineData("db.pwd"), InlineData("mysql/PWD"), InlineData("user_pwd")]
    public void Secret_names(string name) => Assert.True(SecretKeys.LooksSecret(name), name);

    [Theory]
    [InlineData("cwd"), InlineData("OLDPWD"), InlineData("pwdx"), InlineData("KEYBOARD"), InlineData("keyboard"), InlineData("monkey"), InlineData("turkey"), InlineData("GIT_AUTHOR_NAME")]
    [InlineData("AWS_ACCESS_KEY_ID"), InlineData("key"), InlineData("keys"), InlineData("primary_key"), InlineData("sort_key"), InlineData("public_key")]
    [InlineData("ssh_public_key"), InlineData("cache_key"), InlineData("routing_key"), InlineData("partition_key"), InlineData("key_file"), InlineData("no_key")]
    [InlineData("passive"), InlineData("compass"), InlineData("bypass_cache"), InlineData("path"), InlineData("author"), InlineData("max_keys")]
    public void Names_that_stay_visible(string name) => Assert.False(SecretKeys.LooksSecret(name), name);

    [Theory]
    [InlineData("header='Authorization: Bearer hdrTok'", "header='Authorization: Bearer ***'")]
    [InlineData("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***")]
    [InlineData("authorization=abc123def", "authorization=***")]
    [InlineData("AUTHORIZATION : token ghp_abcdef123", "AUTHORIZATION : token ***")]
    [InlineData("curl -H 'Bearer eyJhbGciOi.x.y' http://h", "curl -H 'Bearer ***' http://h")]
    [InlineData("sent bearer s3cr3t-value.", "sent bearer ***.")]
    [InlineData("a Bearer ABCDEF12 and Bearer xyzAB99", "a Bearer *** and Bearer ***")]
    [InlineData("b Authorization:\tBasic dXNlcjpwYXNzd29yZA==", "b Authorization:\tBasic ***")]
    // s42 attacker F2: a quoted bearer token, and a quoted Authorization key (JSON, Python, escaped JSON in a string).
    [InlineData("h = \"Bearer AbCdEf123456\"", "h = \"Bearer ***\"")]
    [InlineData("{\"Authorization\": \"Bearer AbCdEf123456\"}", "{\"Authorization\": \"Bearer ***\"}")]
    [InlineData("{'authorization': 'Basic dXNlcjpwYXNz'}", "{'authorization': 'Basic ***'}")]
    [InlineData("headers={\\\"Authorization\\\":\\\"Bearer AbCdEf123456\\\"}", "headers={\\\"Authorization\\\":\\\"Bearer ***\\\"}")]
    public void Authorization_and_bearer_credentials_in_text_are_masked(string text, string masked) =>
        Assert.Equal(masked, SecretRedactor.MaskAuthorization(text));

    [Theory]
    [InlineData("Clients send it as `Authorization: Bearer TOKEN`.")]
    [InlineData("`Authorization: Basic` checked by LDAP")]
    [InlineData("WWW-Authenticate: Bearer realm=\"resh\"")]
    [InlineData("Bearer tokens are accepted; send Bearer $TOKEN or Bearer <token>")]
    [InlineData("Authorization: Bearer ***")]
    [InlineData("no credential here at all")]
    public void Placeholders_and_prose_stay(string text) => Assert.Same(text, SecretRedactor.MaskAuthorization(text));

    [Fact]
    public void Scrub_masks_a_bearer_token_with_nothing_registered() =>
        Assert.Equal("resh: error: upstream said Bearer *** is expired", SecretRedactor.Scrub("resh: error: upstream said Bearer aB3dE5gH7 is expired"));

    [Fact]
    public void Json_output_masks_authorization_and_bearer_credentials_in_string_values()
    {
        var json = """{"line":"a Authorization: Basic dXNlcjpwYXNzd29yZA==","other":"c Bearer eyJhbGciOiJIUzI1NiJ9.x.y","n":1}"""u8;
        var scrubbed = SecretRedactor.ScrubJson(json, new System.Text.Json.JsonWriterOptions());
        Assert.NotNull(scrubbed);
        var text = System.Text.Encoding.UTF8.GetString(scrubbed);
        Assert.Contains("a Authorization: Basic ***", text);
        Assert.Contains("c Bearer ***", text);
        Assert.DoesNotContain("dXNlcjpwYXNzd29yZA", text);
    }

    [Fact]
    public void Json_without_credentials_is_not_rewritten() =>
        Assert.Null(SecretRedactor.ScrubJson("""{"line":"plain text","n":1}"""u8, new System.Text.Json.JsonWriterOptions()));
}
