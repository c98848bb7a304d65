using Resh.Core.Model;

namespace Resh.Handles.Pkg;

/// <summary>pkg:// — packages through the system's package manager (apt/dpkg, dnf/yum, zypper, apk, pacman).</summary>
public static class PkgHandle
{
    public static HandleInfo Create() => new("pkg",
        "Packages: list, info, search, install/remove/upgrade with exact versions, update indexes, hold, files, owner, verify, apt sources, history.",
        "A package (pkg://curl, pkg://nginx=1.22.1-9, pkg:///tmp/x.deb), a path for owner (pkg:///usr/bin/curl.owner), or empty for lists.",
        [
            PkgList.Verb,
            PkgInfoVerb.Verb,
            PkgSearch.Verb,
            PkgInstall.Verb,
            PkgRemove.Verb,
            PkgUpgrade.Verb,
            PkgUpdate.Verb,
            PkgHold.Hold,
            PkgHold.Unhold,
            PkgFiles.Verb,
            PkgOwner.Verb,
            PkgVerify.Verb,
            PkgRepoList.Verb,
            PkgRepoAdd.Verb,
            PkgRepoRemove.Verb,
            PkgHistory.Verb,
        ])
    {
        Notes = "The manager is detected (apt when apt-get and dpkg exist, then dnf, yum, zypper, apk, pacman); manager= overrides. "
            + "Names and versions are validated and passed as argv words, never through a shell. Changes are planned with the manager's own simulation "
            + "(apt-get -s, dnf --assumeno, zypper --dry-run, apk --simulate, pacman --print): --dry-run shows that plan with exact versions, "
            + "and a real run reports what actually changed. With apt, progress comes from APT::Status-Fd and a held dpkg lock is waited for (up to --timeout) "
            + "and then reported as `conflict` with the holder's PID. repo.* and history are implemented for apt; other managers answer `unsupported` there.",
    };
}
