#nullable enable
// MSBuild task (compiled by RoslynCodeTaskFactory from MirrorGan.NativeFix.targets). The same file is also
// compiled into Microsoft.ML.MirrorGan.Transforms with MIRRORGAN_ELF_ONLY defined: there only the ELF logic
// (ElfVersionNeeds, internal) is kept, for TorchRuntime.PrepareNativeLibrary, which patches a per-user copy
// when natives load straight from the NuGet cache (notebooks, scripts) and no MSBuild target ever runs.
//
// Why: TorchSharp 0.107's libLibTorchSharp.so was linked by GCC 13 and records a version need on
// GLIBCXX_3.4.32 for exactly one symbol, std::ios_base_library_init, a link anchor that is never called.
// Debian 12 / Ubuntu 22.04 ship libstdc++ with GLIBCXX_3.4.30, so the dynamic loader refuses the library.
// Marking that one Elf64_Vernaux entry VER_FLG_WEAK turns the hard requirement into a soft one; the loader
// then binds every other symbol as before. We patch only the copies in the output folders, never the
// NuGet cache, and only where the host libstdc++ really lacks the version.
// Also compiled as an MSBuild inline task, which has no implicit usings: these are needed there.
#pragma warning disable IDE0005
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
#if !MIRRORGAN_ELF_ONLY
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
#endif
#pragma warning restore IDE0005

namespace MirrorGan.Build;

#if !MIRRORGAN_ELF_ONLY
public sealed class WeakenGlibcxxVersionNeed : Microsoft.Build.Utilities.Task
{
    /// <summary>Shared libraries to patch in place (copies in bin/ or publish/).</summary>
    [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The version name whose need is made weak, e.g. GLIBCXX_3.4.32.</summary>
    [Required] public string VersionName { get; set; } = "";

    /// <summary>auto (patch only when the host libstdc++ lacks VersionName), always, or never.</summary>
    public string Mode { get; set; } = "auto";

    public override bool Execute()
    {
        if (string.Equals(Mode, "never", StringComparison.OrdinalIgnoreCase)) return true;
        if (string.Equals(Mode, "auto", StringComparison.OrdinalIgnoreCase))
        {
            string? host = ElfVersionNeeds.FindHostLibStdCxx();
            if (host == null)
            {
                Log.LogMessage(MessageImportance.Low, "MirrorGan native fix: no host libstdc++.so.6 found; nothing to do.");
                return true;
            }
            if (ElfVersionNeeds.FileContainsVersionDefinition(host, VersionName))
            {
                Log.LogMessage(MessageImportance.Low, $"MirrorGan native fix: {host} provides {VersionName}; nothing to do.");
                return true;
            }
        }
        foreach (var item in Libraries)
        {
            string path = item.ItemSpec;
            if (!File.Exists(path)) continue;
            try
            {
                var result = ElfVersionNeeds.MarkWeak(path, VersionName);
                if (result == ElfVersionNeeds.Outcome.Patched)
                    Log.LogMessage(MessageImportance.High, $"MirrorGan native fix: marked the {VersionName} need of {path} weak.");
                else
                    Log.LogMessage(MessageImportance.Low, $"MirrorGan native fix: {path}: {result}.");
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogError($"MirrorGan native fix: could not patch {path}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }
}

#endif

/// <summary>Minimal ELF64 little-endian reader/writer for the .gnu.version_r (SHT_GNU_verneed) section.</summary>
#if MIRRORGAN_ELF_ONLY
internal
#else
public
#endif
static class ElfVersionNeeds
{
    public enum Outcome { Patched, AlreadyWeak, NotNeeded }

    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    private static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    public static string? FindHostLibStdCxx()
    {
        foreach (var c in LibStdCxxCandidates)
            if (File.Exists(c)) return c;
        return null;
    }

    /// <summary>True when the file holds the NUL-terminated version string (libstdc++ defines each version it provides).</summary>
    public static bool FileContainsVersionDefinition(string path, string versionName)
    {
        byte[] hay = File.ReadAllBytes(path);
        byte[] needle = Encoding.ASCII.GetBytes(versionName + "\0");
        // RoslynCodeTaskFactory compiles against netstandard, so no span search here.
        for (int i = 0; i + needle.Length <= hay.Length; i++)
        {
            int k = 0;
            while (k < needle.Length && hay[i + k] == needle[k]) k++;
            if (k == needle.Length) return true;
        }
        return false;
    }

    /// <summary>Lists (file, version name, flags) of every Vernaux entry.</summary>
    public static List<(string File, string Version, ushort Flags)> ReadNeeds(byte[] elf)
    {
        var list = new List<(string, string, ushort)>();
        Walk(elf, (file, name, flags, _) => list.Add((file, name, flags)));
        return list;
    }

    /// <summary>Sets VER_FLG_WEAK on every Vernaux entry named <paramref name="versionName"/>. Idempotent.</summary>
    public static Outcome MarkWeak(string path, string versionName)
    {
        byte[] elf = File.ReadAllBytes(path);
        var outcome = Outcome.NotNeeded;
        Walk(elf, (file, name, flags, flagsOffset) =>
        {
            if (name != versionName) return;
            if ((flags & VerFlgWeak) != 0) { if (outcome == Outcome.NotNeeded) outcome = Outcome.AlreadyWeak; return; }
            WriteU16(elf, flagsOffset, (ushort)(flags | VerFlgWeak));
            outcome = Outcome.Patched;
        });
        if (outcome == Outcome.Patched)
        {
            // Write the whole image first so a failed write never leaves a half-patched library behind.
            string tmp = path + ".mirrorgan-tmp";
            // A rename, not a copy over the target: the build hard-links natives from the NuGet cache, and
            // writing through the link would patch the user's global package cache.
            File.WriteAllBytes(tmp, elf);
            File.Replace(tmp, path, destinationBackupFileName: null);
        }
        return outcome;
    }

    private static void Walk(byte[] b, Action<string, string, ushort, int> onAux)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (b[4] != 2 || b[5] != 1) throw new InvalidDataException("only ELF64 little-endian is supported");
        ulong shoff = ReadU64(b, 0x28);
        ushort shentsize = ReadU16(b, 0x3A), shnum = ReadU16(b, 0x3C);
        if (shentsize < 64 || shoff + (ulong)shentsize * shnum > (ulong)b.Length)
            throw new InvalidDataException("section header table lies outside the file");
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (ReadU32(b, sh + 4) != ShtGnuVerneed) continue;
            int off = checked((int)ReadU64(b, sh + 24));
            uint link = ReadU32(b, sh + 40), count = ReadU32(b, sh + 44);
            if (link >= shnum) throw new InvalidDataException("verneed section links to a missing string table");
            int strtab = checked((int)ReadU64(b, checked((int)shoff + (int)link * shentsize) + 24));
            int p = off;
            for (uint n = 0; n < count; n++)
            {
                ushort auxCount = ReadU16(b, p + 2);
                string file = ReadCString(b, strtab + (int)ReadU32(b, p + 4));
                int a = p + (int)ReadU32(b, p + 8);
                for (int k = 0; k < auxCount; k++)
                {
                    ushort flags = ReadU16(b, a + 4);
                    string name = ReadCString(b, strtab + (int)ReadU32(b, a + 8));
                    onAux(file, name, flags, a + 4);
                    uint next = ReadU32(b, a + 12);
                    if (next == 0) break;
                    a += (int)next;
                }
                uint nextNeed = ReadU32(b, p + 12);
                if (nextNeed == 0) break;
                p += (int)nextNeed;
            }
        }
    }

    private static void Check(byte[] b, int at, int size)
    {
        if (at < 0 || at + size > b.Length) throw new InvalidDataException($"offset {at} lies outside the file");
    }
    private static ushort ReadU16(byte[] b, int at) { Check(b, at, 2); return BitConverter.ToUInt16(b, at); }
    private static uint ReadU32(byte[] b, int at) { Check(b, at, 4); return BitConverter.ToUInt32(b, at); }
    private static ulong ReadU64(byte[] b, int at) { Check(b, at, 8); return BitConverter.ToUInt64(b, at); }
    private static void WriteU16(byte[] b, int at, ushort v) { Check(b, at, 2); BitConverter.GetBytes(v).CopyTo(b, at); }
    private static string ReadCString(byte[] b, int at)
    {
        Check(b, at, 1);
        int end = Array.IndexOf(b, (byte)0, at);
        if (end < 0) throw new InvalidDataException("unterminated string in ELF string table");
        return Encoding.ASCII.GetString(b, at, end - at);
    }
}
