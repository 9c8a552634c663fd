using System.CommandLine;

namespace Microsoft.ML.MirrorGan.Tools;

/// <summary>
/// The command line the benchmark and stress tools share (compiled into each): every verb parses with System.CommandLine,
/// answers --help at the root and per verb, checks each positional argument against its range with a one-line message
/// (argument, value, allowed range) before anything runs, and reports usage and data errors as one line, not a stack trace.
/// </summary>
internal static class ToolCommandLine
{
    public static Argument<int> Int(string name, string description, int fallback, int min, int max)
    {
        var a = new Argument<int>(name) { Description = $"{description} ({min} to {max:N0}; default {fallback:N0})", DefaultValueFactory = _ => fallback, Arity = ArgumentArity.ZeroOrOne };
        a.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < min || v > max) r.AddError($"{name} is {v}; it must be {min} to {max:N0}.");
        });
        return a;
    }

    public static Argument<double> Double(string name, string description, double fallback, double min, double max)
    {
        var a = new Argument<double>(name) { Description = $"{description} ({min} to {max}; default {fallback})", DefaultValueFactory = _ => fallback, Arity = ArgumentArity.ZeroOrOne };
        a.Validators.Add(r =>
        {
            double v = r.GetValueOrDefault<double>();
            if (!(v >= min && v <= max)) r.AddError(FormattableString.Invariant($"{name} is {v}; it must be {min} to {max}."));
        });
        return a;
    }

    public static Argument<string> Choice(string name, string description, string fallback, params string[] allowed)
    {
        var a = new Argument<string>(name) { Description = $"{description} ({string.Join(" | ", allowed)}; default {fallback})", DefaultValueFactory = _ => fallback, Arity = ArgumentArity.ZeroOrOne };
        a.AcceptOnlyFromAmong(allowed);
        return a;
    }

    public static void Verb(this RootCommand root, string name, string description, Func<ParseResult, int> run, params Argument[] arguments)
    {
        var command = new System.CommandLine.Command(name, description);
        foreach (var a in arguments) command.Arguments.Add(a);
        command.SetAction(run);
        root.Subcommands.Add(command);
    }

    /// <summary>Sets torch's intra-op threads; returns 0 so that it adds to a verb's exit code.</summary>
    public static int Threads(int threads)
    {
        TorchSharp.torch.set_num_threads(threads);
        return 0;
    }

    /// <summary>Runs a verb that reports by printing; exit code 0.</summary>
    public static int Run(Action action)
    {
        action();
        return 0;
    }

    public static int Invoke(RootCommand root, string[] args)
    {
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
