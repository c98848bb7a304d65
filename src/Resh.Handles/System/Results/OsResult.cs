using System.ComponentModel;

namespace Resh.Handles.Sys;

[Description("The operating system: distribution (os-release), kernel (uname) and platform.")]
public sealed record OsResult(
    [property: Description("os-release ID, e.g. debian, ubuntu, rhel.")] string? Id,
    [property: Description("os-release NAME.")] string? Name,
    [property: Description("os-release PRETTY_NAME, e.g. \"Debian GNU/Linux 12 (bookworm)\".")] string? PrettyName,
    [property: Description("os-release VERSION.")] string? Version,
    [property: Description("os-release VERSION_ID, e.g. 12 or 22.04.")] string? VersionId,
    [property: Description("os-release VERSION_CODENAME, e.g. bookworm.")] string? VersionCodename,
    [property: Description("os-release ID_LIKE: distributions this one derives from.")] IReadOnlyList<string> IdLike,
    [property: Description("The running kernel (uname -s, -r, -v).")] KernelInfo Kernel,
    [property: Description("Machine hardware name (uname -m), e.g. x86_64, aarch64.")] string Architecture,
    [property: Description("The kernel host name.")] string Hostname,
    [property: Description("/etc/machine-id, when present.")] string? MachineId,
    [property: Description("Best-effort hypervisor and container hints with their evidence.")] VirtualizationInfo Virtualization);

[Description("The running kernel (uname -s, -r, -v).")]
public sealed record KernelInfo(
    [property: Description("Kernel name, e.g. Linux.")] string Name,
    [property: Description("Kernel release, e.g. 6.1.0-18-amd64.")] string Release,
    [property: Description("Kernel build version string.")] string Version);

[Description("Best-effort virtualization and container hints; `evidence` says what each is based on.")]
public sealed record VirtualizationInfo(
    [property: Description("Hypervisor (kvm, vmware, microsoft, xen, qemu, oracle, amazon, ...), null when none was seen.")] string? Vm,
    [property: Description("Container manager (docker, podman, lxc, systemd-nspawn, kubernetes, ...), null when none was seen.")] string? Container,
    [property: Description("The observations behind vm and container.")] IReadOnlyList<string> Evidence);
