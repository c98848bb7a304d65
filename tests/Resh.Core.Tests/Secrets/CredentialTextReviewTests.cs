using Resh.Core.Secrets;
using Xunit;

namespace Resh.Core.Tests.Secrets;

/// <summary>
/// Third config:// review (attacker #1, user D6): query-string passwords, libpq's spaced '=', a '/' in a URL password,
/// ODBC's doubled braces, token prefixes and webhook paths were shown in clear; *_pat and jwt keys too.
/// </summary>
public sealed class CredentialTextReviewTests
{
    [Theory]
    [InlineData("jdbc:mysql://db/app?user=app&password=X1", "jdbc:mysql://db/app?user=app&password=***")]
    [InlineData("postgresql://db/app?password=X2&sslmode=require", "postgresql://db/app?password=***&sslmode=require")]
    [InlineData("https://api/x?PWD=a&passwd=b&token=c&secret=d&api_key=e&apikey=f&access_token=g", "https://api/x?PWD=***&passwd=***&token=***&secret=***&api_key=***&apikey=***&access_token=***")]
    [InlineData("host=db password = X3 dbname=app", "host=db password = *** dbname=app")]
    [InlineData("postgres://app:pa/ss1@db/app", "postgres://app:***@db/app")]
    [InlineData("postgres://app:p?a#s@db/app", "postgres://app:***@db/app")]
    [InlineData("Driver={x};Pwd={ab}}c;d};UID=u", "Driver={x};Pwd={***};UID=u")]
    [InlineData("sk_live_abcdefgh12345", "***")]
    [InlineData("Bearer ghp_abcdefgh12345", "Bearer ***")]
    [InlineData("github_pat_11ABCDEFG_xyz", "***")]
    [InlineData("xoxb-1234-5678-abcdefgh", "***")]
    [InlineData("glpat-abcdefgh12345", "***")]
    [InlineData("https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/services/***")]
    public void Credentials_the_first_rules_missed_are_masked(string value, string masked) =>
        Assert.Equal(masked, CredentialText.Mask(value));

    /// <summary>s42 user D5: a header whose name looks secret (the one rule, SecretKeys.LooksSecret), written inside a value.</summary>
    [Theory]
    [InlineData("X-Api-Key:abc123", "X-Api-Key:***")]
    [InlineData("X-Auth-Token: tok value", "X-Auth-Token: *** value")]
    [InlineData("Private-Token: Token glxyz1", "Private-Token: ***")]
    [InlineData("Accept:json,X-Api-Key:k1,X-Trace:1", "Accept:json,X-Api-Key:***,X-Trace:1")]
    [InlineData("header=X-Api-Key:abc", "header=X-Api-Key:***")]
    [InlineData("{client_secret: s3cr3t}", "{client_secret: ***}")]
    public void A_secret_named_pair_inside_a_value_is_masked(string value, string masked) =>
        Assert.Equal(masked, CredentialText.Mask(value));

    [Theory]
    [InlineData("Accept: application/json"), InlineData("X-Trace-Id:42"), InlineData("note=secret:db"), InlineData("token=env:API_TOKEN")]
    [InlineData("secret://x.get"), InlineData("key=file:/etc/k"), InlineData("keys: a,b"), InlineData("12:30"), InlineData("api_key:")]
    public void Pairs_that_are_no_secret_and_references_stay_as_they_are(string value) => Assert.Same(value, CredentialText.Mask(value));

    [Theory]
    [InlineData("http://host:8080/a@b"), InlineData("http://host/path?email=a@b.com"), InlineData("https://example.com/x?user=app&sslmode=require")]
    [InlineData("ghp_"), InlineData("mysk_live_abcdefghijk"), InlineData("host=db port = 5432"), InlineData("https://hooks.example.com/services/x")]
    public void Values_without_credentials_stay_as_they_are(string value) => Assert.Same(value, CredentialText.Mask(value));

    [Theory]
    [InlineData("GITHUB_PAT"), InlineData("gitlab_pat"), InlineData("jwt"), InlineData("JWT_TOKEN"), InlineData("auth_jwt")]
    public void Pat_and_jwt_keys_are_secret(string key) => Assert.True(SecretKeys.LooksSecret(key), key);

    [Theory]
    [InlineData("app_dsn"), InlineData("path"), InlineData("pattern"), InlineData("patch")]
    public void Dsn_and_pat_lookalikes_stay_visible(string key) => Assert.False(SecretKeys.LooksSecret(key), key);
}
