using System.Diagnostics;

namespace Microsoft.ML.MirrorGan.Tests;

/// <summary>Runs a .NET app in a separate process and captures its output.</summary>
internal static class ChildProcess
{
    public static (int ExitCode, string Output) RunDotnet(string dll, TimeSpan timeout, params string[] args) => RunDotnetIn(null, dll, timeout, args);

    /// <summary>Like <see cref="RunDotnet"/>, with <paramref name="workingDirectory"/> as the child's current folder (null: this one's).</summary>
    public static (int ExitCode, string Output) RunDotnetIn(string? workingDirectory, string dll, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit((int)timeout.TotalMilliseconds))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{dll} did not finish within {timeout}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
