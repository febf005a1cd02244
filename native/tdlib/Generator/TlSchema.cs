using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace TgFleet.Tdlib.Generator;

/// <summary>One field of a TL constructor or function: <c>name:type</c> plus its doc line.</summary>
internal sealed class TlField
{
    public TlField(string name, string type, string doc)
    {
        Name = name;
        Type = type;
        Doc = doc;
    }

    public string Name { get; }

    public string Type { get; }

    public string Doc { get; }
}

/// <summary>A constructor (object) or a function of td_api.tl.</summary>
internal sealed class TlCombinator
{
    public TlCombinator(string name, IReadOnlyList<TlField> fields, string result, bool isFunction, string doc)
    {
        Name = name;
        Fields = fields;
        Result = result;
        IsFunction = isFunction;
        Doc = doc;
    }

    public string Name { get; }

    public IReadOnlyList<TlField> Fields { get; }

    public string Result { get; }

    public bool IsFunction { get; }

    public string Doc { get; }
}

/// <summary>The parsed td_api.tl: combinators in file order and the docs of <c>//@class</c> types.</summary>
internal sealed class TlSchema
{
    private static readonly HashSet<string> BuiltinResults = new(StringComparer.Ordinal)
    {
        "Double", "String", "Int32", "Int53", "Int64", "Bytes", "Bool", "Vector",
    };

    private static readonly char[] Space = { ' ' };

    private static readonly Regex Tag = new(@"(?:^|\s)@([a-z_0-9]+)\s", RegexOptions.CultureInvariant);

    private TlSchema(List<TlCombinator> combinators, Dictionary<string, string> classDocs)
    {
        Combinators = combinators;
        ClassDocs = classDocs;
    }

    public IReadOnlyList<TlCombinator> Combinators { get; }

    public IReadOnlyDictionary<string, string> ClassDocs { get; }

    public static TlSchema Parse(string text)
    {
        var combinators = new List<TlCombinator>();
        var classDocs = new Dictionary<string, string>(StringComparer.Ordinal);
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        string? lastTag = null;
        var isFunction = false;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line == "---functions---")
            {
                isFunction = true;
                docs.Clear();
                continue;
            }

            if (line.StartsWith("---", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("//-", StringComparison.Ordinal))
            {
                if (lastTag is not null && docs.TryGetValue(lastTag, out var previous))
                {
                    docs[lastTag] = previous + " " + line.Substring(3).Trim();
                }

                continue;
            }

            if (line.StartsWith("//@class ", StringComparison.Ordinal))
            {
                var rest = line.Substring("//@class ".Length);
                var space = rest.IndexOf(' ');
                var name = space < 0 ? rest : rest.Substring(0, space);
                var marker = rest.IndexOf("@description ", StringComparison.Ordinal);
                classDocs[name] = marker < 0 ? string.Empty : rest.Substring(marker + "@description ".Length).Trim();
                docs.Clear();
                lastTag = null;
                continue;
            }

            if (line.StartsWith("//", StringComparison.Ordinal))
            {
                var comment = line.Substring(2);
                var matches = Tag.Matches(comment + " ");
                for (var i = 0; i < matches.Count; i++)
                {
                    var start = matches[i].Index + matches[i].Length;
                    var end = i + 1 < matches.Count ? matches[i + 1].Index : comment.Length;
                    var value = end > start ? comment.Substring(start, end - start).Trim() : string.Empty;
                    lastTag = matches[i].Groups[1].Value;
                    docs[lastTag] = value;
                }

                continue;
            }

            var equals = line.LastIndexOf('=');
            if (equals < 0 || !line.EndsWith(";", StringComparison.Ordinal))
            {
                continue;
            }

            var result = line.Substring(equals + 1).TrimEnd(';').Trim();
            var head = line.Substring(0, equals).Trim();
            var parts = head.Split(Space, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || BuiltinResults.Contains(result.Split(' ')[0]))
            {
                docs.Clear();
                continue;
            }

            var fields = new List<TlField>();
            foreach (var part in parts.Skip(1))
            {
                var colon = part.IndexOf(':');
                if (colon <= 0)
                {
                    continue;
                }

                var fieldName = part.Substring(0, colon);
                docs.TryGetValue(fieldName, out var fieldDoc);
                fields.Add(new TlField(fieldName, part.Substring(colon + 1), fieldDoc ?? string.Empty));
            }

            docs.TryGetValue("description", out var description);
            combinators.Add(new TlCombinator(parts[0], fields, result, isFunction, description ?? string.Empty));
            docs.Clear();
            lastTag = null;
        }

        return new TlSchema(combinators, classDocs);
    }

    public static string Pascal(string name)
    {
        var builder = new StringBuilder(name.Length);
        var upper = true;
        foreach (var c in name)
        {
            if (c == '_')
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return builder.ToString();
    }
}
