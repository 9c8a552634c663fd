// Writes compile-time-only copies of assemblies in which every type, method and field is public.
// The project compiles against these copies so it can call ML.NET's internal persistence API; at run time
// the real, unmodified ML.NET assemblies load, and [IgnoresAccessChecksTo] lets the calls through.
// Usage: Publicizer <output-folder> <assembly.dll>...
using Mono.Cecil;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Publicizer <output-folder> <assembly.dll>...");
    return 2;
}
string outDir = args[0];
Directory.CreateDirectory(outDir);
foreach (string path in args.Skip(1))
{
    var resolver = new DefaultAssemblyResolver();
    resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    using var asm = AssemblyDefinition.ReadAssembly(path, new ReaderParameters { AssemblyResolver = resolver });
    int changed = 0;
    foreach (var type in asm.MainModule.GetTypes())
    {
        if (type.Name.Contains('<')) continue; // compiler-generated closures and state machines
        if (type.IsNested) type.IsNestedPublic = true; else type.IsPublic = true;
        foreach (var m in type.Methods)
        {
            // Explicit interface implementations (names with '.') must stay private or the type stops loading.
            if (m.Name.Contains('<') || (m.Name.Contains('.') && !m.IsConstructor)) continue;
            if (!m.IsPublic) { m.IsPublic = true; changed++; }
        }
        foreach (var f in type.Fields)
        {
            // A field named like an event is the event's backing delegate; public would clash with the event.
            if (f.Name.Contains('<') || type.Events.Any(e => e.Name == f.Name)) continue;
            if (!f.IsPublic) { f.IsPublic = true; changed++; }
        }
    }
    string dst = Path.Combine(outDir, Path.GetFileName(path));
    asm.Write(dst);
    Console.WriteLine($"Publicizer: {Path.GetFileName(path)}: {changed} members made public -> {dst}");
}
return 0;
