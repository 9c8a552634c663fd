using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Microsoft.ML.MirrorGan.Tests.Reliability;

/// <summary>
/// Issue 11, security: static checks over the shipped assemblies' IL (Mono.Cecil). No serializer that can build
/// arbitrary types is referenced anywhere, and the file import code never resolves or instantiates a type by name.
/// </summary>
public class SecurityTests
{
    private static readonly string[] OurAssemblies =
    {
        typeof(Microsoft.ML.MirrorGan.Text.Vocabulary).Assembly.Location,                  // Transforms
        typeof(Microsoft.ML.MirrorGan.Data.RgbImage).Assembly.Location,                    // Trainers
        typeof(Microsoft.ML.MirrorGan.Onnx.MirrorGanOnnxExport).Assembly.Location,         // Onnx
    };

    // Serializers that instantiate whatever type the payload names (the .NET equivalents of pickle's GLOBAL + REDUCE).
    private static readonly string[] DangerousTypes =
    {
        "System.Runtime.Serialization.Formatters.Binary.BinaryFormatter",
        "System.Runtime.Serialization.Formatters.Soap.SoapFormatter",
        "System.Runtime.Serialization.NetDataContractSerializer",
        "System.Runtime.Serialization.Formatter",
        "System.Runtime.Serialization.FormatterServices",
        "System.Web.UI.LosFormatter",
        "System.Web.UI.ObjectStateFormatter",
        "System.Web.Script.Serialization.JavaScriptSerializer",
        "Newtonsoft.Json.TypeNameHandling",
    };

    // Calls that turn a name from a file into a type, an assembly or a call.
    private static readonly (string Type, string Method)[] NameToCode =
    {
        ("System.Type", "GetType"), ("System.Type", "InvokeMember"), ("System.Activator", "CreateInstance"),
        ("System.Reflection.Assembly", "Load"), ("System.Reflection.Assembly", "LoadFrom"), ("System.Reflection.Assembly", "LoadFile"),
        ("System.Reflection.MethodBase", "Invoke"), ("System.Reflection.MethodInfo", "Invoke"), ("System.Reflection.ConstructorInfo", "Invoke"),
        ("System.Runtime.Loader.AssemblyLoadContext", "LoadFromAssemblyPath"), ("System.Diagnostics.Process", "Start"),
    };

    private static IEnumerable<(TypeDefinition Type, MethodDefinition Method, MemberReference Target)> Calls(string assembly)
    {
        using var module = ModuleDefinition.ReadModule(assembly);
        foreach (var type in module.GetTypes())
            foreach (var method in type.Methods.Where(m => m.HasBody))
                foreach (var ins in method.Body.Instructions)
                    if (ins.Operand is MemberReference target && (ins.OpCode.Code is Code.Call or Code.Callvirt or Code.Newobj or Code.Ldftn or Code.Ldtoken or Code.Ldsfld or Code.Ldfld))
                        yield return (type, method, target);
    }

    [Fact]
    public void No_assembly_of_ours_references_BinaryFormatter_or_another_type_naming_serializer()
    {
        foreach (var path in OurAssemblies)
        {
            using var module = ModuleDefinition.ReadModule(path);
            var referenced = module.GetTypeReferences().Select(t => t.FullName)
                .Concat(module.GetMemberReferences().Select(m => m.DeclaringType.FullName)).ToHashSet();
            var found = DangerousTypes.Where(referenced.Contains).ToList();
            Assert.True(found.Count == 0, $"{Path.GetFileName(path)} references {string.Join(", ", found)}");
            Assert.NotEmpty(referenced);   // the scan saw the assembly's references at all
        }
    }

    [Fact]
    public void File_import_code_never_turns_a_name_into_a_type_or_a_call()
    {
        // Everything that reads pickles, checkpoints, model zips, ONNX graphs, manifests and images.
        string[] importNamespaces =
        {
            "Microsoft.ML.MirrorGan.Import", "Microsoft.ML.MirrorGan.Import.Pickle", "Microsoft.ML.MirrorGan.Imaging",
            "Microsoft.ML.MirrorGan.Data", "Microsoft.ML.MirrorGan.Text",
        };
        var bad = new List<string>();
        int scanned = 0;
        foreach (var path in OurAssemblies)
            foreach (var (type, method, target) in Calls(path))
            {
                string ns = (type.DeclaringType ?? type).Namespace;
                if (!importNamespaces.Contains(ns) && !type.FullName.Contains("ModelReader", StringComparison.Ordinal) && !type.FullName.Contains("OnnxModelSession", StringComparison.Ordinal)
                    && !type.FullName.Contains("MirrorGanOnnxManifest", StringComparison.Ordinal)) continue;
                scanned++;
                if (NameToCode.Any(n => target.DeclaringType?.FullName == n.Type && target.Name == n.Method))
                    bad.Add($"{type.FullName}.{method.Name} calls {target.DeclaringType!.FullName}.{target.Name}");
            }
        Assert.True(scanned > 1_000, $"only {scanned} calls scanned: the namespaces moved?");
        Assert.True(bad.Count == 0, string.Join("\n", bad));
    }

    [Fact]
    public void The_restricted_unpickler_resolves_no_names()
    {
        // A GLOBAL of a real .NET type and a Python callable: both refused by name, nothing resolved.
        foreach (var name in new[] { "System.Diagnostics\nProcess\n", "builtins\neval\n", "torch._utils\n_rebuild_tensor_v2\n" })
        {
            var bytes = System.Text.Encoding.ASCII.GetBytes("c" + name + ")R.");
            var e = Assert.Throws<InvalidDataException>(() => new Microsoft.ML.MirrorGan.Import.Pickle.RestrictedUnpickler(bytes, "x").Load());
            Assert.Contains("is not allowed", e.Message);
            Assert.Contains("nothing was imported or run", e.Message);
        }
    }
}
