using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Core.Secrets;

/// <summary>Turns a <see cref="SecretRef"/> into its value at call time, with a clear error for every way that can fail.</summary>
public static class SecretResolver
{
    /// <summary>The most a <c>file:PATH</c> source reads looking for its first line.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    /// <param name="what">What is being resolved, for messages: "argument `password`", "config value `db.prod.password`".</param>
    public static SecretValue Resolve(SecretRef source, string what, ReshRuntime runtime, CancellationToken cancellation)
    {
        switch (source.Kind)
        {
            case SecretSourceKind.Literal or SecretSourceKind.Input:
                return source.Value!;
            case SecretSourceKind.Env:
                var value = Environment.GetEnvironmentVariable(source.Name!);
                if (value is null)
                    throw ReshError.Usage($"The environment variable {source.Name} named by {what} is not set.",
                        $"Export {source.Name} before the call, or use secret:NAME or file:PATH.").ToException();
                if (value.Length == 0)
                    throw ReshError.Usage($"The environment variable {source.Name} named by {what} is empty.", $"Set {source.Name} to the secret.").ToException();
                return SecretValue.FromText(value);
            case SecretSourceKind.File:
                return FirstLine(ExpandHome(source.Name!, runtime), what);
            default:
                var provider = SecretStore.Provider
                    ?? throw ReshError.Unavailable($"{what} names secret:{source.Name}, but this build has no secret store.",
                        "Use env:VAR or file:PATH instead.").ToException();
                runtime.Log($"resolving secret:{source.Name} for {what}");
                return provider().Read(source.Name!, runtime, cancellation)
                    ?? throw ReshError.NotFound($"The secret {source.Name} named by {what} does not exist.",
                        $"Create it: printf %s VALUE | resh secret://{source.Name}.set value=@-   (or list them: resh secret://.list)",
                        new System.Text.Json.Nodes.JsonObject { ["secret"] = source.Name }).ToException();
        }
    }

    static string ExpandHome(string path, ReshRuntime runtime) =>
        path == "~" ? runtime.Paths.Home : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(runtime.Paths.Home, path[2..]) : path;

    /// <summary>The first line of a file (without its line end): how <c>file:PATH</c> reads a secret.</summary>
    public static SecretValue FirstLine(string path, string what)
    {
        byte[] buffer;
        int length;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            buffer = new byte[Math.Min(MaxFileBytes, stream.CanSeek && stream.Length > 0 ? stream.Length : 4096)];
            length = 0;
            int n;
            while (length < buffer.Length && (n = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                if (Array.IndexOf(buffer, (byte)'\n', length, n) >= 0) { length += n; break; }
                length += n;
                if (length == buffer.Length && buffer.Length < MaxFileBytes) Array.Resize(ref buffer, Math.Min(MaxFileBytes, buffer.Length * 2));
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw ReshError.Usage($"The file {path} named by {what} does not exist.", "file:PATH reads the secret from the first line of PATH.").ToException();
        }
        catch (UnauthorizedAccessException)
        {
            throw ReshError.PermissionDenied($"The file {path} named by {what} cannot be read.", "Check its owner and mode, or run as a user that may read it.").ToException();
        }
        catch (IOException ex)
        {
            throw ReshError.Usage($"The file {path} named by {what} cannot be read: {ExceptionTranslation.OneLine(ex.Message)}", null).ToException();
        }
        var end = Array.IndexOf(buffer, (byte)'\n', 0, length);
        if (end < 0) end = length;
        if (end > 0 && buffer[end - 1] == '\r') end--;
        if (end == 0)
            throw ReshError.Usage($"The file {path} named by {what} has an empty first line.", "Write the secret on the first line of the file.").ToException();
        var bytes = buffer.AsSpan(0, end).ToArray();
        Array.Clear(buffer);
        return SecretValue.FromBytes(bytes);
    }

    /// <summary>Bytes read from stdin or a whole file lose one trailing line end, as $(cat f) does.</summary>
    public static SecretValue FromInput(byte[] bytes)
    {
        var n = bytes.Length;
        if (n > 0 && bytes[n - 1] == '\n') n--;
        if (n > 0 && bytes[n - 1] == '\r') n--;
        if (n == bytes.Length) return SecretValue.FromBytes(bytes);
        var trimmed = bytes.AsSpan(0, n).ToArray();
        Array.Clear(bytes);
        return SecretValue.FromBytes(trimmed);
    }

}
