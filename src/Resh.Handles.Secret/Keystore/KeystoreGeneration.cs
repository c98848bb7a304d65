using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Secret.Keystore;

/// <summary>
/// Rollback detection for the local keystore. Every save raises the body's <c>generation</c> (covered by the
/// keystore's MAC, so it cannot be edited without the data key) and then records it in <c>local.generation</c>
/// next to the keystore, with an id of the keystore it belongs to (a hash of its header, which holds the randomly
/// wrapped data key). Opening a keystore whose generation is below the recorded one is `failed`: an older copy was
/// put back (a backup restored over it, a sync conflict, someone undoing a rotation).
/// </summary>
/// <remarks>
/// Limits (docs/handles/secret.md): whoever can write the secrets directory (the owner, root) can put back the
/// generation file too, or delete it: a missing record is taken as "nothing recorded yet" (a keystore from before
/// this check, a directory copied on purpose). This detects a keystore restored alone, not an attacker who
/// controls the whole directory; that one can also read the key file.
/// </remarks>
internal static class KeystoreGeneration
{
    const string Magic = "RESH-KEYSTORE-GENERATION 1";

    public readonly record struct Recorded(string StoreId, long Generation);

    public static string StoreId(string headerLine) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(headerLine)).AsSpan(0, 12)).ToLowerInvariant();

    /// <summary>The record, or null when there is none (or it is not one: then the check cannot help, and the next save rewrites it).</summary>
    public static Recorded? Read(KeystorePaths paths)
    {
        if (!PrivateFiles.Exists(paths.GenerationFile, "keystore generation file")) return null;
        PrivateFiles.CheckFile(paths.GenerationFile, "keystore generation file");
        string[] lines;
        try { lines = File.ReadAllText(paths.GenerationFile).Split('\n'); }
        catch (FileNotFoundException) { return null; }
        if (lines.Length < 2 || lines[0] != Magic) return null;
        var parts = lines[1].Split(' ');
        return parts.Length == 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? new Recorded(parts[0], g) : null;
    }

    public static void Check(KeystorePaths paths, Recorded? recorded, string storeId, long generation)
    {
        if (recorded is not { } r || r.StoreId != storeId || generation >= r.Generation) return;
        throw ReshError.Failed(
            $"The keystore {paths.Keystore} is an older copy (generation {generation}; generation {r.Generation} was saved last): it was rolled back.",
            $"Put the newest keystore back. If you restored this older one on purpose (its later changes are lost), remove {paths.GenerationFile} to accept it.",
            new System.Text.Json.Nodes.JsonObject
            {
                ["path"] = paths.Keystore, ["reason"] = "rolled back", ["generation"] = generation, ["recorded_generation"] = r.Generation,
                ["generation_file"] = paths.GenerationFile,
            }).ToException();
    }

    public static void Write(KeystorePaths paths, string storeId, long generation) =>
        AtomicFile.Write(paths.GenerationFile, Encoding.UTF8.GetBytes($"{Magic}\n{storeId} {generation.ToString(CultureInfo.InvariantCulture)}\n"),
            UnixFileMode.UserRead | UnixFileMode.UserWrite);
}
