using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Resh.Handles.Sys;

/// <summary>Best-effort hints of a hypervisor and a container, each with the evidence that produced it.</summary>
public sealed record VirtualizationHints(string? Vm, string? Container, IReadOnlyList<string> Evidence);

/// <summary>
/// Cheap checks in the spirit of systemd-detect-virt: the CPUID hypervisor leaf, DMI vendor strings,
/// /sys/hypervisor, and container marker files. No check is authoritative, so the evidence is reported.
/// </summary>
public static class Virtualization
{
    public static VirtualizationHints Detect()
    {
        var evidence = new List<string>();
        string? vm = DetectVm(evidence);
        string? container = DetectContainer(evidence);
        return new VirtualizationHints(vm, container, evidence);
    }

    static string? DetectVm(List<string> evidence)
    {
        if (X86Base.IsSupported)
        {
            // CPUID leaf 1, ECX bit 31: running under a hypervisor; leaf 0x40000000 names it.
            var (_, _, ecx, _) = X86Base.CpuId(1, 0);
            if ((ecx & unchecked((int)0x80000000)) != 0)
            {
                var (_, ebx, ecx2, edx) = X86Base.CpuId(0x40000000, 0);
                Span<byte> sig = stackalloc byte[12];
                BitConverter.TryWriteBytes(sig, ebx);
                BitConverter.TryWriteBytes(sig[4..], ecx2);
                BitConverter.TryWriteBytes(sig[8..], edx);
                var signature = Encoding.ASCII.GetString(sig).TrimEnd('\0');
                evidence.Add($"cpuid hypervisor signature \"{signature}\"");
                return signature switch
                {
                    "KVMKVMKVM" => "kvm",
                    "Microsoft Hv" => "microsoft",
                    "VMwareVMware" => "vmware",
                    "XenVMMXenVMM" => "xen",
                    "TCGTCGTCGTCG" => "qemu",
                    "VBoxVBoxVBox" => "oracle",
                    " lrpepyh  vr" => "parallels",
                    "bhyve bhyve " or "bhyve bhyve" => "bhyve",
                    "ACRNACRNACRN" => "acrn",
                    "QNXQVMBSQG" => "qnx",
                    _ => DmiVm(evidence) ?? "unknown",
                };
            }
        }
        var hv = ProcFile.ReadTrimmed("/sys/hypervisor/type");
        if (hv is not null)
        {
            evidence.Add($"/sys/hypervisor/type is \"{hv}\"");
            return hv;
        }
        return DmiVm(evidence);
    }

    static string? DmiVm(List<string> evidence)
    {
        foreach (var file in (string[])["sys_vendor", "product_name", "board_vendor"])
        {
            var value = ProcFile.ReadTrimmed("/sys/class/dmi/id/" + file);
            if (value is null) continue;
            string? vm = value switch
            {
                _ when value.StartsWith("QEMU", StringComparison.Ordinal) => "qemu",
                _ when value.StartsWith("KVM", StringComparison.Ordinal) => "kvm",
                _ when value.StartsWith("VMware", StringComparison.Ordinal) => "vmware",
                _ when value.StartsWith("innotek GmbH", StringComparison.Ordinal) || value.StartsWith("VirtualBox", StringComparison.Ordinal) => "oracle",
                _ when value.StartsWith("Xen", StringComparison.Ordinal) => "xen",
                _ when value.StartsWith("Microsoft Corporation", StringComparison.Ordinal) && file == "sys_vendor" => "microsoft",
                _ when value.StartsWith("Amazon EC2", StringComparison.Ordinal) => "amazon",
                _ when value.StartsWith("Google", StringComparison.Ordinal) => "google",
                _ when value.StartsWith("Parallels", StringComparison.Ordinal) => "parallels",
                _ => null,
            };
            if (vm is null) continue;
            evidence.Add($"/sys/class/dmi/id/{file} is \"{value}\"");
            return vm;
        }
        return null;
    }

    static string? DetectContainer(List<string> evidence)
    {
        var marker = ProcFile.ReadTrimmed("/run/systemd/container");
        if (marker is not null)
        {
            evidence.Add($"/run/systemd/container is \"{marker}\"");
            return marker;
        }
        if (System.IO.File.Exists("/run/.containerenv"))
        {
            evidence.Add("/run/.containerenv exists");
            return "podman";
        }
        if (System.IO.File.Exists("/.dockerenv"))
        {
            evidence.Add("/.dockerenv exists");
            return "docker";
        }
        // PID 1's environment names the manager for systemd-nspawn, LXC and others (readable by root only).
        var environ = ProcFile.ReadText("/proc/1/environ", 64 << 10);
        if (environ is not null)
        {
            foreach (var entry in environ.Split('\0'))
            {
                if (entry.StartsWith("container=", StringComparison.Ordinal) && entry.Length > 10)
                {
                    evidence.Add($"PID 1 environment has {entry}");
                    return entry[10..];
                }
            }
        }
        var cgroup = ProcFile.ReadText("/proc/1/cgroup", 64 << 10);
        if (cgroup is not null)
        {
            foreach (var (needle, name) in ((string, string)[])[("/docker/", "docker"), ("/docker-", "docker"), ("/lxc/", "lxc"), ("kubepods", "kubernetes"), ("/libpod-", "podman")])
            {
                if (!cgroup.Contains(needle, StringComparison.Ordinal)) continue;
                evidence.Add($"/proc/1/cgroup mentions {needle.Trim('/', '-')}");
                return name;
            }
        }
        return null;
    }
}
