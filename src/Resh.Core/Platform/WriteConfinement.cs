using Resh.Core.Errors;

namespace Resh.Core.Platform;

/// <summary>The write side of <see cref="PathConfinement"/>, as the writers that resolve a directory descriptor ask it.</summary>
public static class WriteConfinement
{
    /// <summary>Whether a check is in force for this call.</summary>
    public static bool Active => PathConfinement.Active;

    /// <summary>Why writing <paramref name="name"/> in the directory <paramref name="dirFd"/> is refused, or null (see <see cref="PathConfinement.Check"/>).</summary>
    public static ReshError? Check(int dirFd, string name) => PathConfinement.Check(PathAct.Write, dirFd, name);

    /// <summary>As <see cref="Check"/>, thrown.</summary>
    public static void Enforce(int dirFd, string name) => PathConfinement.Enforce(PathAct.Write, dirFd, name);
}
