using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace TgFleet.Tests.Simulator;

/// <summary>
/// A small reader of td_api.tl: for each constructor, its fields, their TL types and whether the
/// schema lets them be null ("may be null" in the field's comment). Checks emitted JSON against it.
/// </summary>
internal sealed partial class TlSchema
{
    private readonly Dictionary<string, (List<TlField> Fields, bool IsFunction, string ResultType)> _constructors = new(StringComparer.Ordinal);

    internal sealed record TlField(string Name, string Type, bool MayBeNull);

    private TlSchema()
    {
    }

    public static TlSchema Instance { get; } = Load(Path.Combine(AppContext.BaseDirectory, "Simulator", "Schema", "td_api.tl"));

    public IReadOnlyList<TlField> FieldsOf(string constructor) => _constructors[constructor].Fields;

    public bool IsObject(string name) => _constructors.TryGetValue(name, out var c) && !c.IsFunction;

    public bool IsFunction(string name) => _constructors.TryGetValue(name, out var c) && c.IsFunction;

    public static TlSchema Load(string path)
    {
        var schema = new TlSchema();
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        var functions = false;
        string? lastKey = null;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("---functions---", StringComparison.Ordinal))
            {
                functions = true;
                continue;
            }

            if (line.StartsWith("//@", StringComparison.Ordinal))
            {
                foreach (Match m in DocPart().Matches(line))
                {
                    lastKey = m.Groups[1].Value;
                    docs[lastKey] = m.Groups[2].Value;
                }

                continue;
            }

            if (line.StartsWith("//-", StringComparison.Ordinal))
            {
                if (lastKey is not null)
                {
                    docs[lastKey] += line[3..];
                }

                continue;
            }

            var definition = Definition().Match(line);
            if (!definition.Success)
            {
                continue;
            }

            var fields = new List<TlField>();
            foreach (var part in definition.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = part.IndexOf(':', StringComparison.Ordinal);
                var name = part[..colon];
                var doc = docs.GetValueOrDefault(name, string.Empty);
                fields.Add(new TlField(name, part[(colon + 1)..], doc.Contains("may be null", StringComparison.Ordinal) || doc.Contains("pass null", StringComparison.Ordinal)));
            }

            schema._constructors[definition.Groups[1].Value] = (fields, functions, definition.Groups[3].Value);
            docs.Clear();
            lastKey = null;
        }

        return schema;
    }

    /// <summary>Every violation of the schema in <paramref name="node"/> and the objects inside it.</summary>
    public IEnumerable<string> Violations(JsonNode? node, string path = "$")
    {
        if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                foreach (var v in Violations(array[i], $"{path}[{i}]"))
                {
                    yield return v;
                }
            }

            yield break;
        }

        if (node is not JsonObject obj)
        {
            yield break;
        }

        var type = obj["@type"]?.GetValue<string>();
        if (type is null)
        {
            yield return $"{path}: object without @type";
            yield break;
        }

        if (!IsObject(type))
        {
            yield return $"{path}: unknown object type {type}";
            yield break;
        }

        foreach (var field in FieldsOf(type))
        {
            if (!obj.TryGetPropertyValue(field.Name, out var value) || value is null)
            {
                if (!field.MayBeNull)
                {
                    yield return $"{path} ({type}): missing field {field.Name}:{field.Type}";
                }

                continue;
            }

            var problem = CheckScalar(field.Type, value);
            if (problem is not null)
            {
                yield return $"{path}.{field.Name} ({type}): {problem}";
            }

            foreach (var v in Violations(value, $"{path}.{field.Name}"))
            {
                yield return v;
            }
        }
    }

    private static string? CheckScalar(string type, JsonNode value)
    {
        var kind = value.GetValueKind();
        return type switch
        {
            "int64" when kind != System.Text.Json.JsonValueKind.String => "int64 must be a JSON string",
            "int32" or "int53" or "double" when kind != System.Text.Json.JsonValueKind.Number => type + " must be a JSON number",
            "string" or "bytes" when kind != System.Text.Json.JsonValueKind.String => type + " must be a JSON string",
            "Bool" when kind is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False) => "Bool must be true/false",
            _ when type.StartsWith("vector<", StringComparison.Ordinal) && kind != System.Text.Json.JsonValueKind.Array => type + " must be a JSON array",
            _ => null,
        };
    }

    [GeneratedRegex(@"@(\w+) ([^@]*)")]
    private static partial Regex DocPart();

    [GeneratedRegex(@"^(\w+)((?: \w+:[\w<>.]+)*) = (\w+);")]
    private static partial Regex Definition();
}
