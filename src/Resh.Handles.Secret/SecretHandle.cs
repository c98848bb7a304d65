using Resh.Core.Model;
using Resh.Core.Secrets;
using Resh.Handles.Secret.Backends;
using Resh.Handles.Secret.Verbs;

namespace Resh.Handles.Secret;

/// <summary>secret:// — the secret store behind every secret-typed argument (secret:NAME).</summary>
public static class SecretHandle
{
    public static HandleInfo Create() => new("secret",
        "Secrets: set, get (masked unless reveal=true), list, rotate with versions, generate, delete, run a command with secrets in its environment, encrypted export/import. Backends: an encrypted local keystore, env, file (/run/secrets), pass.",
        "A secret name (secret://db/app), path-like segments of letters, digits and . _ - @ +; empty for list, exec, export and import (secret://.list), or a name prefix for list and export (secret://db/.list).",
        [
            SecretSet.Verb,
            SecretGet.Verb,
            SecretExists.Verb,
            SecretList.Verb,
            SecretDelete.Verb,
            SecretGenerate.Verb,
            SecretRotate.Verb,
            SecretVersions.Verb,
            SecretRestore.Verb,
            SecretExec.Verb,
            SecretExport.Verb,
            SecretImport.Verb,
        ])
    {
        Notes = "The local backend keeps an encrypted keystore in the state directory (secrets/local.keystore, 0600; the directory 0700). "
            + "Each version of each value is sealed with AES-256-GCM under a random data key, with its name and version as associated data, and the whole file carries an HMAC: "
            + "a keystore changed outside resh is refused (`failed`), not read. The data key is wrapped by a key file (secrets/local.key, created 0600 on first use, or RESH_SECRET_KEY_FILE, or [secret] key_file) "
            + "or, when RESH_SECRET_PASSPHRASE is set as the keystore is created, by Argon2id of that passphrase (asked for without echo on a terminal when the variable is unset). "
            + "A keystore, key file or directory that other users can read or write is refused (`permission_denied`), and so is a keystore, key file or lock that is a symbolic link "
            + "(resh creates those itself; a key file named by RESH_SECRET_KEY_FILE or [secret] key_file may be a link, and its target is checked). "
            + "Rollback: every save raises a generation number inside the authenticated keystore and records it in secrets/local.generation; a keystore older than the record "
            + "(a backup or an old copy put back alone) is refused (`failed`, reason \"rolled back\") until its owner removes local.generation to accept it. "
            + "This does not stop someone who can write the secrets directory (the owner, root) from putting back both files, or deleting the record: such a user can read the key file anyway. "
            + "Values shorter than 4 characters are not stored (set) or injected (exec): output masking skips them, as it would otherwise mask ordinary text. "
            + "env, file and pass are read-only. Other handles read these secrets through any secret-typed argument: password=secret:db/app (secret:pass:web/api names a backend).",
    };

    /// <summary>Reads <c>secret:NAME</c> references for the core (registered in HandleCatalog).</summary>
    public static ISecretStore ReferenceStore() => SecretBackends.ReferenceStore();
}
