using System.Text;
using Resh.Handles.Secret.Keystore;
using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>The keystore primitives in-process: what a seal binds, and that generated values are uniform.</summary>
public sealed class KeystoreCryptoTests
{
    [Fact]
    public void A_sealed_value_opens_only_with_its_key_and_associated_data()
    {
        var key = Crypto.RandomBytes(32);
        var aad = Encoding.UTF8.GetBytes("resh-secret-1\0db/app\01");
        var sealedValue = Crypto.Seal(key, "value"u8, aad);
        Assert.Equal("value", Encoding.UTF8.GetString(Crypto.Open(key, sealedValue, aad)!));
        Assert.Null(Crypto.Open(key, sealedValue, Encoding.UTF8.GetBytes("resh-secret-1\0db/other\01"))); // moved to another name
        Assert.Null(Crypto.Open(key, sealedValue, Encoding.UTF8.GetBytes("resh-secret-1\0db/app\02")));   // or version
        Assert.Null(Crypto.Open(Crypto.RandomBytes(32), sealedValue, aad));
        sealedValue[^1] ^= 1;
        Assert.Null(Crypto.Open(key, sealedValue, aad));
        Assert.Null(Crypto.Open(key, [1, 2, 3], aad));
        Assert.NotEqual(Crypto.Seal(key, "value"u8, aad), Crypto.Seal(key, "value"u8, aad)); // a fresh nonce each time
    }

    [Fact]
    public void Argon2id_agrees_with_the_reference_argon2_tool()
    {
        // The argon2 CLI is the reference implementation (the PHC winners' code), installed by the test deps.
        var password = "pass " + Guid.NewGuid().ToString("N");
        var salt = "salt" + Guid.NewGuid().ToString("N")[..12];
        var psi = new System.Diagnostics.ProcessStartInfo("argon2") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { salt, "-id", "-t", "3", "-k", "1024", "-p", "1", "-l", "32", "-r" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Write(password);
        p.StandardInput.Close();
        var expected = p.StandardOutput.ReadToEnd().Trim();
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(64, expected.Length);
        var key = Crypto.Argon2id(Encoding.UTF8.GetBytes(password), Encoding.ASCII.GetBytes(salt), 1024, 3, 1);
        Assert.Equal(expected, Convert.ToHexString(key).ToLowerInvariant());
    }

    [Fact]
    public void Generated_characters_come_only_from_the_charset_and_evenly()
    {
        var counts = new Dictionary<char, int>();
        foreach (var c in OsRandom.GetString("abc", 30_000)) counts[c] = counts.GetValueOrDefault(c) + 1;
        Assert.Equal(["a", "b", "c"], counts.Keys.Order().Select(c => c.ToString()));
        Assert.All(counts.Values, n => Assert.InRange(n, 9_400, 10_600)); // ±6%: a modulo bias of 256 % 3 would still pass, so:
        var biased = new Dictionary<char, int>();
        foreach (var c in OsRandom.GetString(new string('x', 255) + "y", 200_000)) biased[c] = biased.GetValueOrDefault(c) + 1;
        Assert.InRange(biased.GetValueOrDefault('y'), 500, 1_100); // 1/256 of 200,000 = 781; modulo bias would double it
    }
}
