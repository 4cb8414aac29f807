using System.Reflection;
using System.Reflection.Emit;
using System.Text.RegularExpressions;

namespace CouchReplication.Tests;

/// <summary>
/// The engine's floor plan, as docs/ARCHITECTURE.md lists it in its <c>floors</c> block: each
/// folder of src/CouchReplication.Engine stands on one floor, and a type may use only types of
/// its own folder or of a lower floor. Uses are read from the compiled engine (signatures and
/// every method body's IL), each type placed in the folder of the source file that declares it,
/// so a use the source hides behind a <c>using</c> or a full name is seen all the same.
/// </summary>
public class EngineFloorsTests
{
    private static readonly string Root = FindRoot();
    private static readonly string EngineFolder = Path.Combine(Root, "src", "CouchReplication.Engine");

    [Fact]
    public void Every_engine_folder_has_a_floor_and_every_floor_a_folder()
    {
        var folders = Directory.GetDirectories(EngineFolder).Select(dir => Path.GetFileName(dir)!)
            .Where(name => name is not ("bin" or "obj")).Order().ToList();
        Assert.Equal(folders, Floors().Keys.Order().ToList());
    }

    [Fact]
    public void The_engine_root_holds_only_the_project_file()
    {
        Assert.Equal(["CouchReplication.Engine.csproj"], Directory.GetFiles(EngineFolder).Select(file => Path.GetFileName(file)).ToList());
    }

    [Fact]
    public void No_type_uses_a_type_of_a_higher_floor_or_of_another_folder_on_its_floor()
    {
        var floors = Floors();
        var folderOf = DeclaringFolders();
        var engine = typeof(CouchReplicationDoc).Assembly;
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in engine.GetTypes())
        {
            if (!folderOf.TryGetValue(Outermost(type).FullName!, out var folder)) continue;
            foreach (var used in Uses(type).Select(Outermost).Where(used => used.Assembly == engine).Distinct())
                if (folderOf.TryGetValue(used.FullName!, out var usedFolder) && usedFolder != folder && floors[usedFolder] >= floors[folder])
                    violations.Add($"{folder}/{Outermost(type).Name} (floor {floors[folder]}) uses {usedFolder}/{used.Name} (floor {floors[usedFolder]})");
        }
        Assert.True(violations.Count == 0, "Uses against the floor plan of docs/ARCHITECTURE.md:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_scan_sees_a_use_hidden_in_a_method_body()
    {
        // The IL reading must find what no signature shows: ChangesFilter.NotForFileSource makes
        // a CouchReplicationException inside its body only.
        var uses = Uses(typeof(CouchReplication.Document.ChangesFilter)).ToList();
        Assert.Contains(typeof(CouchReplicationException), uses);
    }

    /// <summary>The floors, lowest first: each line of the <c>floors</c> block names the folders of one floor.</summary>
    private static Dictionary<string, int> Floors()
    {
        var text = File.ReadAllText(Path.Combine(Root, "docs", "ARCHITECTURE.md"));
        var block = Regex.Match(text, "```floors\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "docs/ARCHITECTURE.md has no ```floors block");
        var floors = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var floor = 0; floor < lines.Length; floor++)
            foreach (var folder in lines[floor].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                floors.Add(folder.TrimEnd('/'), floor);
        return floors;
    }

    /// <summary>Each top-level type's full name, and the folder of the source file that declares it.</summary>
    private static Dictionary<string, string> DeclaringFolders()
    {
        var folders = new Dictionary<string, string>(StringComparer.Ordinal);
        var declaration = new Regex(@"^(?:\[[^\]]*\]\s*)*(?:(?:public|internal|sealed|static|abstract|readonly|partial|file)\s+)*(?:record\s+struct|record\s+class|class|struct|record|interface|enum)\s+([A-Z]\w*)(<[^>]*>)?");
        foreach (var path in Directory.EnumerateFiles(EngineFolder, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(EngineFolder, path);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal)) continue;
            var folder = Path.GetDirectoryName(relative)!.Split(Path.DirectorySeparatorChar)[0];
            var lines = File.ReadAllLines(path);
            var ns = lines.Select(line => Regex.Match(line, @"^namespace ([\w.]+);")).First(m => m.Success).Groups[1].Value;
            // File-scoped namespaces: a top-level type is declared at brace depth 0.
            var depth = 0;
            foreach (var line in lines)
            {
                if (depth == 0 && declaration.Match(line) is { Success: true } m)
                {
                    var arity = m.Groups[2].Success ? "`" + (m.Groups[2].Value.Count(c => c == ',') + 1) : "";
                    var name = $"{ns}.{m.Groups[1].Value}{arity}";
                    Assert.True(!folders.TryGetValue(name, out var other) || other == folder, $"{name} is declared in {other}/ and {folder}/");
                    folders[name] = folder;
                }
                depth += line.Count(c => c == '{') - line.Count(c => c == '}');
            }
        }
        return folders;
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer) type = outer;
        return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
    }

    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    /// <summary>Every type a type names: in its signatures, its attributes and its methods' IL.</summary>
    private static IEnumerable<Type> Uses(Type type)
    {
        var named = new List<Type>();
        if (type.BaseType is { } baseType) named.Add(baseType);
        named.AddRange(type.GetInterfaces());
        named.AddRange(type.GetCustomAttributesData().Select(a => a.AttributeType));
        named.AddRange(type.GetFields(Declared).Select(f => f.FieldType));
        named.AddRange(type.GetProperties(Declared).Select(p => p.PropertyType));
        named.AddRange(type.GetEvents(Declared).Select(e => e.EventHandlerType!));
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            named.AddRange(method.GetParameters().Select(p => p.ParameterType));
            if (method is MethodInfo info) named.Add(info.ReturnType);
            named.AddRange(method.GetMethodBody()?.LocalVariables.Select(v => v.LocalType) ?? []);
            named.AddRange(BodyUses(type, method));
        }
        return named.SelectMany(Unwrap);
    }

    /// <summary>A type with its element and generic argument types.</summary>
    private static IEnumerable<Type> Unwrap(Type type)
    {
        if (type.HasElementType) return Unwrap(type.GetElementType()!);
        if (type.IsGenericParameter) return [];
        return type.IsGenericType ? type.GetGenericArguments().SelectMany(Unwrap).Prepend(type) : [type];
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(op => op.Value);

    /// <summary>The types, and the declaring types of the members, that a method body's IL refers to by token.</summary>
    private static IEnumerable<Type> BodyUses(Type type, MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArgs = type.IsGenericType ? type.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var op = il[at] == 0xFE ? OpCodesByValue[(short)(0xFE00 | il[at + 1])] : OpCodesByValue[il[at]];
            at += op.Size;
            var operand = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
                _ => 4,
            };
            if (op.OperandType is OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField)
            {
                var member = method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArgs, methodArgs)!;
                if (member is Type referenced) yield return referenced;
                else
                {
                    yield return member.DeclaringType!;
                    if (member is MethodInfo { IsGenericMethod: true } generic)
                        foreach (var argument in generic.GetGenericArguments()) yield return argument;
                    if (member is FieldInfo field) yield return field.FieldType;
                }
            }
            at += operand;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CouchReplication.sln"))) return dir.FullName;
        throw new InvalidOperationException("CouchReplication.sln not found above " + AppContext.BaseDirectory);
    }
}
