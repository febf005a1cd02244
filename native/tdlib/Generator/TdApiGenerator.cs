using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TgFleet.Tdlib.Generator;

/// <summary>
/// Generates TgFleet.Tdlib.Api from td_api.tl (an AdditionalFiles item): a class per TDLib object
/// and function, abstract bases for the schema's abstract types, and UTF-8 JSON readers/writers
/// (no reflection, no JsonSerializerContext) following TDLib's JSON rules.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TdApiGenerator : IIncrementalGenerator
{
    private const string Ns = "TgFleet.Tdlib.Api";
    private const string Reader = "global::System.Text.Json.Utf8JsonReader";
    private const string Writer = "global::System.Text.Json.Utf8JsonWriter";
    private const string Json = "global::TgFleet.Tdlib.Api.TdJsonReader";
    private const string JsonOut = "global::TgFleet.Tdlib.Api.TdJsonWriter";
    private const int ClassesPerFile = 250;

    private static readonly DiagnosticDescriptor NoSchema = new(
        "TDGEN001", "td_api.tl not found", "No td_api.tl in AdditionalFiles: the TDLib API was not generated",
        "TgFleet.Tdlib.Generator", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor NameClash = new(
        "TDGEN002", "TDLib name clash", "Two TDLib types map to the C# name '{0}'",
        "TgFleet.Tdlib.Generator", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "TdType", "TypeName", "Extra", "ClientId", "WriteTo", "WriteFields", "ReadJson", "TdTypeUtf8",
        "GetType", "ToString", "Equals", "GetHashCode", "MemberwiseClone", "Finalize",
    };

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var schemas = context.AdditionalTextsProvider
            .Where(static file => string.Equals(Path.GetFileName(file.Path), "td_api.tl", StringComparison.Ordinal))
            .Select(static (file, ct) => file.GetText(ct)?.ToString() ?? string.Empty)
            .Collect();
        var version = context.AnalyzerConfigOptionsProvider.Select(static (options, _) =>
            options.GlobalOptions.TryGetValue("build_property.TdlibSchemaVersion", out var value) ? value : string.Empty);

        context.RegisterSourceOutput(schemas.Combine(version), static (spc, input) =>
        {
            if (input.Left.IsDefaultOrEmpty)
            {
                spc.ReportDiagnostic(Diagnostic.Create(NoSchema, Location.None));
                return;
            }

            var schema = TlSchema.Parse(input.Left[0]);
            var files = Emit(schema, input.Right, out var clash);
            foreach (var (name, text) in files)
            {
                spc.CancellationToken.ThrowIfCancellationRequested();
                spc.AddSource(name, SourceText.From(text, Encoding.UTF8));
            }

            if (clash is not null)
            {
                spc.ReportDiagnostic(Diagnostic.Create(NameClash, Location.None, clash));
            }
        });
    }

    /// <summary>The generated files (hint name, text) for a schema; public so a test can inspect them.</summary>
    public static IReadOnlyList<(string Name, string Text)> Emit(string schemaText, string version) =>
        Emit(TlSchema.Parse(schemaText), version, out _);

    private static List<(string Name, string Text)> Emit(TlSchema schema, string version, out string? clash)
    {
        clash = null;
        var objects = schema.Combinators.Where(static c => !c.IsFunction).ToList();
        var byResult = objects.GroupBy(static c => c.Result).ToDictionary(static g => g.Key, static g => g.ToList(), StringComparer.Ordinal);

        // A result type is abstract unless it has exactly one constructor of the same name (message = Message).
        var abstractTypes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pair in byResult)
        {
            if (pair.Value.Count != 1 || TlSchema.Pascal(pair.Value[0].Name) != pair.Key)
            {
                abstractTypes.Add(pair.Key);
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in abstractTypes.Concat(schema.Combinators.Select(static c => TlSchema.Pascal(c.Name))))
        {
            if (!names.Add(name))
            {
                clash = name;
            }
        }

        var types = new TypeMap(abstractTypes);
        var files = new List<(string, string)>();
        var body = new StringBuilder();
        var count = 0;
        var fileIndex = 0;

        void Flush(string prefix)
        {
            if (body.Length == 0)
            {
                return;
            }

            files.Add(($"TdApi.{prefix}.{fileIndex.ToString("D2", CultureInfo.InvariantCulture)}.g.cs", Header() + body));
            fileIndex++;
            body.Clear();
            count = 0;
        }

        foreach (var type in abstractTypes.OrderBy(static t => t, StringComparer.Ordinal))
        {
            schema.ClassDocs.TryGetValue(type, out var doc);
            Doc(body, "", doc ?? type);
            body.Append("public abstract partial class ").Append(type).Append(" : global::TgFleet.Tdlib.Api.TdObject\n{\n}\n\n");
        }

        Flush("Abstract");
        fileIndex = 0;
        foreach (var combinator in objects)
        {
            EmitClass(body, combinator, types);
            if (++count == ClassesPerFile)
            {
                Flush("Objects");
            }
        }

        Flush("Objects");
        fileIndex = 0;
        foreach (var combinator in schema.Combinators.Where(static c => c.IsFunction))
        {
            EmitClass(body, combinator, types);
            if (++count == ClassesPerFile)
            {
                Flush("Functions");
            }
        }

        Flush("Functions");

        body.Append("/// <summary>Facts about the td_api.tl these types were generated from.</summary>\n");
        body.Append("public static partial class TdApi\n{\n");
        body.Append("    /// <summary>The TDLib version whose td_api.tl generated these types (compared with the library's <c>version</c> option at start).</summary>\n");
        body.Append("    public const string SchemaVersion = \"").Append(version).Append("\";\n\n");
        body.Append("    /// <summary>How many objects and functions the schema has.</summary>\n");
        body.Append("    public const int TypeCount = ").Append(schema.Combinators.Count.ToString(CultureInfo.InvariantCulture)).Append(";\n\n");
        body.Append("    internal static global::System.Collections.Generic.Dictionary<string, global::TgFleet.Tdlib.Api.TdJsonReader.ObjectReader> CreateReaders() => new(")
            .Append(schema.Combinators.Count.ToString(CultureInfo.InvariantCulture)).Append(", global::System.StringComparer.Ordinal)\n    {\n");
        foreach (var combinator in schema.Combinators)
        {
            body.Append("        [\"").Append(combinator.Name).Append("\"] = ").Append(TlSchema.Pascal(combinator.Name)).Append(".ReadJson,\n");
        }

        body.Append("    };\n}\n");
        files.Add(("TdApi.Registry.g.cs", Header() + body));
        return files;
    }

    private static string Header() =>
        "// <auto-generated/>\n// Generated by TgFleet.Tdlib.Generator from td_api.tl (TDLib, Boost Software License 1.0).\n// Annotations only: nullable flow analysis over ~3,000 generated types would double compile time.\n#nullable enable annotations\n\nnamespace " + Ns + ";\n\n";

    private static void EmitClass(StringBuilder b, TlCombinator c, TypeMap types)
    {
        var name = TlSchema.Pascal(c.Name);
        var baseType = c.IsFunction
            ? "global::TgFleet.Tdlib.Api.TdFunction<" + TypeMap.ClassOf(c.Result) + ">"
            : types.IsAbstract(c.Result) ? c.Result : "global::TgFleet.Tdlib.Api.TdObject";
        Doc(b, "", c.Doc, c.IsFunction ? "Returns <c>" + Xml(c.Result) + "</c>." : null);
        b.Append("public sealed partial class ").Append(name).Append(" : ").Append(baseType).Append("\n{\n");
        b.Append("    /// <summary>The <c>@type</c> of this ").Append(c.IsFunction ? "function" : "object").Append(" in TDLib's JSON.</summary>\n");
        b.Append("    public const string TypeName = \"").Append(c.Name).Append("\";\n\n");
        b.Append("    /// <inheritdoc/>\n    public override string TdType => TypeName;\n\n");
        b.Append("    internal override global::System.ReadOnlySpan<byte> TdTypeUtf8 => \"").Append(c.Name).Append("\"u8;\n");

        var props = new List<(TlField Field, string Prop)>();
        foreach (var field in c.Fields)
        {
            var prop = TlSchema.Pascal(field.Name);
            if (prop == name || Reserved.Contains(prop))
            {
                prop += "Value";
            }

            props.Add((field, prop));
            b.Append('\n');
            Doc(b, "    ", field.Doc);
            b.Append("    public ").Append(TypeMap.CsType(field.Type)).Append(' ').Append(prop).Append(" { get; set; }")
                .Append(TypeMap.Initializer(field.Type)).Append('\n');
        }

        // Writer: @type first (as TDLib writes it), then the fields in schema order.
        b.Append("\n    internal override void WriteFields(").Append(Writer).Append(" w0)\n    {\n");
        foreach (var (field, prop) in props)
        {
            b.Append("        w0.WritePropertyName(\"").Append(field.Name).Append("\"u8);\n");
            b.Append("        ").Append(TypeMap.WriteValue(field.Type, prop, 0)).Append(";\n");
        }

        b.Append("    }\n");

        // Reader: positioned inside the object; reads properties up to and including its end.
        b.Append("\n    internal static ").Append(name).Append(" ReadJson(ref ").Append(Reader).Append(" r0)\n    {\n");
        b.Append("        var o = new ").Append(name).Append("();\n");
        b.Append("        while (r0.Read() && r0.TokenType == global::System.Text.Json.JsonTokenType.PropertyName)\n        {\n");
        var first = true;
        foreach (var (field, prop) in props)
        {
            b.Append(first ? "            if" : "            else if").Append(" (r0.ValueTextEquals(\"").Append(field.Name).Append("\"u8))\n            {\n");
            b.Append("                r0.Read();\n");
            b.Append("                o.").Append(prop).Append(" = ").Append(TypeMap.ReadValue(field.Type, 0)).Append(";\n            }\n");
            first = false;
        }

        b.Append(first ? "            " : "            else\n            {\n                ")
            .Append(Json).Append(".ReadCommon(ref r0, o);\n").Append(first ? "" : "            }\n");
        b.Append("        }\n\n        return o;\n    }\n}\n\n");
    }

    private static void Doc(StringBuilder b, string indent, string text, string? remarks = null)
    {
        b.Append(indent).Append("/// <summary>").Append(Xml(text)).Append("</summary>\n");
        if (remarks is not null)
        {
            b.Append(indent).Append("/// <remarks>").Append(remarks).Append("</remarks>\n");
        }
    }

    private static string Xml(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\r", string.Empty).Replace("\n", " ");

    private sealed class TypeMap
    {
        private readonly HashSet<string> _abstract;

        public TypeMap(HashSet<string> abstractTypes) => _abstract = abstractTypes;

        public bool IsAbstract(string type) => _abstract.Contains(type);

        public static string ClassOf(string type) => char.IsLower(type[0]) ? TlSchema.Pascal(type) : type;

        public static string CsType(string type) => Element(type) switch
        {
            { } element => CsType(element).TrimEnd('?') + "[]",
            _ => type switch
            {
                "int32" => "int",
                "int53" or "int64" => "long",
                "double" => "double",
                "string" => "string",
                "bytes" => "byte[]",
                "Bool" => "bool",
                _ => ClassOf(type) + "?",
            },
        };

        public static string Initializer(string type) => Element(type) is { } element
            ? " = global::System.Array.Empty<" + CsType(element).TrimEnd('?') + ">();"
            : type switch
            {
                "string" => " = string.Empty;",
                "bytes" => " = global::System.Array.Empty<byte>();",
                _ => string.Empty,
            };

        public static string ReadValue(string type, int depth)
        {
            var r = "ref r" + depth.ToString(CultureInfo.InvariantCulture);
            if (Element(type) is { } element)
            {
                var next = (depth + 1).ToString(CultureInfo.InvariantCulture);
                return Json + ".ReadArray<" + CsType(element).TrimEnd('?') + ">(" + r + ", static (ref " + Reader + " r" + next + ") => " + ReadValue(element, depth + 1) + ")";
            }

            return type switch
            {
                "int32" => Json + ".ReadInt32(" + r + ")",
                "int53" or "int64" => Json + ".ReadInt64(" + r + ")",
                "double" => Json + ".ReadDouble(" + r + ")",
                "string" => Json + ".ReadString(" + r + ")",
                "bytes" => Json + ".ReadBytes(" + r + ")",
                "Bool" => Json + ".ReadBool(" + r + ")",
                _ => Json + ".ReadObject<" + ClassOf(type) + ">(" + r + ")" + (depth > 0 ? "!" : string.Empty),
            };
        }

        public static string WriteValue(string type, string value, int depth)
        {
            var w = "w" + depth.ToString(CultureInfo.InvariantCulture);
            if (Element(type) is { } element)
            {
                var next = (depth + 1).ToString(CultureInfo.InvariantCulture);
                return JsonOut + ".WriteArray<" + CsType(element).TrimEnd('?') + ">(" + w + ", " + value + ", static (w" + next + ", v" + next + ") => " + WriteValue(element, "v" + next, depth + 1) + ")";
            }

            return type switch
            {
                "int32" or "int53" or "double" => w + ".WriteNumberValue(" + value + ")",
                "int64" => JsonOut + ".WriteInt64Value(" + w + ", " + value + ")",
                "string" => w + ".WriteStringValue(" + value + ")",
                "bytes" => w + ".WriteBase64StringValue(" + value + ")",
                "Bool" => w + ".WriteBooleanValue(" + value + ")",
                _ => JsonOut + ".WriteObject(" + w + ", " + value + ")",
            };
        }

        private static string? Element(string type) =>
            type.StartsWith("vector<", StringComparison.Ordinal) && type.EndsWith(">", StringComparison.Ordinal)
                ? type.Substring("vector<".Length, type.Length - "vector<".Length - 1)
                : null;
    }
}
