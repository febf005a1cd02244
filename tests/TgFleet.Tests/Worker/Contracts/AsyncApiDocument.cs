using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using MassTransit.Serialization;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Tests.Worker.Contracts;

/// <summary>
/// Writes docs/asyncapi.yaml from the contract types themselves (names, URNs, fields, required
/// fields, XML docs) and MassTransit's serializer settings, so the document cannot drift from
/// what is on the wire.
/// </summary>
internal static class AsyncApiDocument
{
    private static readonly Assembly Contracts = typeof(ShardAddressing).Assembly;
    private static readonly XDocument Docs = XDocument.Load(Path.ChangeExtension(Contracts.Location, ".xml"));

    /// <summary>
    /// What travels on the bus, and nothing else: the per-account commands and queries
    /// (PerAccountMessages) and the fleet-wide queries with their responses, the campaign commands,
    /// events and response (CampaignAddressing), and the events, the contract records that carry
    /// a time (CONVENTIONS §4: every event carries a timestamp). Parts of messages (Recipient,
    /// ProxySettings, ...) are schemas only.
    /// </summary>
    public static IReadOnlyList<Type> Messages { get; } = Contracts.GetExportedTypes()
        .Where(t => t is { IsClass: true, IsSealed: true, IsAbstract: false } && t.Namespace!.StartsWith("TgFleet.Contracts.", StringComparison.Ordinal)
                    && t.Namespace != typeof(ShardAddressing).Namespace
                    && (IsCommand(t) || IsQueryWithoutAccount(t) || IsResponse(t) || IsCampaignCommand(t) || CampaignAddressing.Events.Contains(t) || IsFleetEvent(t)))
        .OrderBy(t => t.Namespace, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal)
        .ToList();

    private static IReadOnlyList<Type> Enums { get; } = Contracts.GetExportedTypes().Where(t => t.IsEnum).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();

    public static bool IsCommand(Type t) => ShardSending.PerAccountTypes.Contains(t);

    public static bool IsQueryWithoutAccount(Type t) => QueryAddressing.Queries.Any(q => q.Query == t);

    private static bool IsCampaignCommand(Type t) => CampaignAddressing.Types.Contains(t);

    private static bool IsFleetEvent(Type t) => t.Namespace != CampaignAddressing.Response.Namespace && !IsCommand(t) && !IsQueryWithoutAccount(t) && !IsResponse(t)
        && t.GetConstructors().SelectMany(c => c.GetParameters()).Any(p => p.ParameterType == typeof(DateTimeOffset));

    public static string Generate()
    {
        var y = new StringBuilder();
        y.AppendLine("# Generated from src/Contracts by tests/TgFleet.Tests/Worker/Contracts/AsyncApiDocument.cs; do not edit by hand.");
        y.AppendLine("# Regenerate: TGFLEET_UPDATE_DOCS=1 ./build.sh test --filter FullyQualifiedName~AsyncApi");
        y.AppendLine("asyncapi: 2.6.0");
        y.AppendLine("info:");
        y.AppendLine("  title: TgFleet");
        y.AppendLine("  version: 1.0.0");
        y.AppendLine("  description: |");
        y.AppendLine("    Commands to TgFleet's workers go to the shard queue of their account (tgfleet.shard.NNN, see");
        y.AppendLine("    docs/addressing.md); workers publish events to one fanout exchange per event type. Every");
        y.AppendLine("    message travels in MassTransit's JSON envelope (content type application/vnd.masstransit+json):");
        y.AppendLine("    the payloads below are its `message` field, and `messageType` holds the URN (x-urn).");
        y.AppendLine("    Queries are request/response: the answer goes to the requester's response address.");
        y.AppendLine("defaultContentType: application/vnd.masstransit+json");
        y.AppendLine("channels:");
        y.AppendLine("  tgfleet.shard.{shard}:");
        y.AppendLine("    description: >-");
        y.AppendLine("      One virtual shard: a durable fanout exchange and the durable quorum queue of the same name bound to it,");
        y.AppendLine("      both declared by every worker at start. Publishers send to the exchange (a plain queue declaration would");
        y.AppendLine("      conflict with the quorum queue); the worker holding the shard's lease consumes the queue.");
        y.AppendLine("    parameters:");
        y.AppendLine("      shard:");
        y.AppendLine("        description: The shard number, zero-padded to three digits (000 … 063 with the default 64 shards).");
        y.AppendLine("        schema:");
        y.AppendLine("          type: string");
        y.AppendLine("          pattern: '^[0-9]{3}$'");
        y.AppendLine("    bindings:");
        y.AppendLine("      amqp:");
        y.AppendLine("        is: queue");
        y.AppendLine("        exchange:");
        y.AppendLine("          name: tgfleet.shard.{shard}");
        y.AppendLine("          type: fanout");
        y.AppendLine("          durable: true");
        y.AppendLine("          autoDelete: false");
        y.AppendLine("        queue:");
        y.AppendLine("          name: tgfleet.shard.{shard}");
        y.AppendLine("          durable: true");
        y.AppendLine("          exclusive: false");
        y.AppendLine("          autoDelete: false");
        y.AppendLine("          x-queue-type: quorum");
        y.AppendLine("        bindingVersion: 0.2.0");
        y.AppendLine("    publish:");
        y.AppendLine("      operationId: sendCommand");
        y.AppendLine("      summary: Upstream services send per-account commands and queries to exchange:tgfleet.shard.NNN (ShardSending.SendToShard).");
        y.AppendLine("      message:");
        y.AppendLine("        oneOf:");
        foreach (var command in Messages.Where(IsCommand))
        {
            y.AppendLine($"          - $ref: '#/components/messages/{command.Name}'");
        }

        y.AppendLine($"  {QueryAddressing.QueueName}:");
        y.AppendLine("    description: >-");
        y.AppendLine("      Fleet-wide queries (not tied to one account): a durable fanout exchange and the durable quorum queue of");
        y.AppendLine("      the same name bound to it, declared by every worker's queries endpoint; any worker answers. Requesters send");
        y.AppendLine("      to the exchange (a plain queue declaration would conflict with the quorum queue).");
        y.AppendLine("    bindings:");
        y.AppendLine("      amqp:");
        y.AppendLine("        is: queue");
        y.AppendLine("        exchange:");
        y.AppendLine($"          name: {QueryAddressing.QueueName}");
        y.AppendLine("          type: fanout");
        y.AppendLine("          durable: true");
        y.AppendLine("          autoDelete: false");
        y.AppendLine("        queue:");
        y.AppendLine($"          name: {QueryAddressing.QueueName}");
        y.AppendLine("          durable: true");
        y.AppendLine("          exclusive: false");
        y.AppendLine("          autoDelete: false");
        y.AppendLine("          x-queue-type: quorum");
        y.AppendLine("        bindingVersion: 0.2.0");
        y.AppendLine("    publish:");
        y.AppendLine("      operationId: sendQuery");
        y.AppendLine($"      summary: Upstream services send fleet-wide queries to {QueryAddressing.Address} (QueryAddressing.Address) as requests.");
        y.AppendLine("      message:");
        y.AppendLine("        oneOf:");
        foreach (var query in Messages.Where(IsQueryWithoutAccount))
        {
            y.AppendLine($"          - $ref: '#/components/messages/{query.Name}'");
        }

        y.AppendLine($"  {CampaignAddressing.QueueName}:");
        y.AppendLine("    description: >-");
        y.AppendLine("      Campaign commands and queries: a durable fanout exchange and the durable quorum queue of the same name");
        y.AppendLine("      bound to it, declared by every scheduler replica; any replica handles a command. Senders send to the");
        y.AppendLine("      exchange (a plain queue declaration would conflict with the quorum queue).");
        y.AppendLine("    bindings:");
        y.AppendLine("      amqp:");
        y.AppendLine("        is: queue");
        y.AppendLine("        exchange:");
        y.AppendLine($"          name: {CampaignAddressing.QueueName}");
        y.AppendLine("          type: fanout");
        y.AppendLine("          durable: true");
        y.AppendLine("          autoDelete: false");
        y.AppendLine("        queue:");
        y.AppendLine($"          name: {CampaignAddressing.QueueName}");
        y.AppendLine("          durable: true");
        y.AppendLine("          exclusive: false");
        y.AppendLine("          autoDelete: false");
        y.AppendLine("          x-queue-type: quorum");
        y.AppendLine("        bindingVersion: 0.2.0");
        y.AppendLine("    publish:");
        y.AppendLine("      operationId: sendCampaignCommand");
        y.AppendLine($"      summary: Upstream services send campaign commands and GetCampaign requests to {CampaignAddressing.Address} (CampaignAddressing.Address).");
        y.AppendLine("      message:");
        y.AppendLine("        oneOf:");
        foreach (var command in Messages.Where(IsCampaignCommand))
        {
            y.AppendLine($"          - $ref: '#/components/messages/{command.Name}'");
        }

        foreach (var evt in Messages.Where(t => !IsCommand(t) && !IsQueryWithoutAccount(t) && !IsResponse(t) && !IsCampaignCommand(t)))
        {
            var exchange = $"{evt.Namespace}:{evt.Name}";
            y.AppendLine($"  {exchange}:");
            y.AppendLine($"    description: The fanout exchange MassTransit publishes {evt.Name} to; bind a queue to it to receive them.");
            y.AppendLine("    bindings:");
            y.AppendLine("      amqp:");
            y.AppendLine("        is: routingKey");
            y.AppendLine("        exchange:");
            y.AppendLine($"          name: {exchange}");
            y.AppendLine("          type: fanout");
            y.AppendLine("          durable: true");
            y.AppendLine("          autoDelete: false");
            y.AppendLine("        bindingVersion: 0.2.0");
            y.AppendLine("    subscribe:");
            y.AppendLine($"      operationId: on{evt.Name}");
            y.AppendLine("      message:");
            y.AppendLine($"        $ref: '#/components/messages/{evt.Name}'");
        }

        y.AppendLine("components:");
        y.AppendLine("  messages:");
        foreach (var type in Messages)
        {
            y.AppendLine($"    {type.Name}:");
            y.AppendLine($"      name: {type.Name}");
            y.AppendLine($"      title: {type.Name}");
            y.AppendLine($"      summary: {Quote(Summary("T:" + type.FullName))}");
            y.AppendLine($"      x-urn: 'urn:message:{type.Namespace}:{type.Name}'");
            y.AppendLine($"      x-kind: {(IsCommand(type) || IsQueryWithoutAccount(type) || IsCampaignCommand(type) ? (type.Namespace!.EndsWith("Queries", StringComparison.Ordinal) || type.Name.StartsWith("Get", StringComparison.Ordinal) ? "query" : "command") : IsResponse(type) ? "response" : "event")}");
            y.AppendLine("      payload:");
            y.AppendLine($"        $ref: '#/components/schemas/{type.Name}'");
        }

        y.AppendLine("  schemas:");
        foreach (var type in Messages.Concat(Contracts.GetExportedTypes().Where(IsNested)).Distinct().OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            WriteObjectSchema(y, type);
        }

        foreach (var type in Enums)
        {
            y.AppendLine($"    {type.Name}:");
            y.AppendLine($"      description: {Quote(Summary("T:" + type.FullName))}");
            // As MassTransit's serializer writes them (numbers with its default settings).
            var values = Enum.GetValues(type).Cast<object>().ToList();
            var asText = EnumWire(values[0]).StartsWith('"');
            y.AppendLine($"      type: {(asText ? "string" : "integer")}");
            y.AppendLine("      enum:");
            foreach (var value in values)
            {
                y.AppendLine($"        - {EnumWire(value).Trim('"')}");
            }

            y.AppendLine("      x-enum-varnames:");
            foreach (var value in values)
            {
                y.AppendLine($"        - {value}");
            }
        }

        return y.ToString();
    }

    private static bool IsResponse(Type t) => PerAccountMessages.All.Any(m => m.Response == t) || QueryAddressing.Queries.Any(q => q.Response == t)
        || t == CampaignAddressing.Response;

    private static bool IsNested(Type t) => t is { IsClass: true, IsSealed: true, IsAbstract: false } && t.Namespace!.StartsWith("TgFleet.Contracts.", StringComparison.Ordinal)
        && t.Namespace != typeof(ShardAddressing).Namespace && !Messages.Contains(t);

    private static void WriteObjectSchema(StringBuilder y, Type type)
    {
        var required = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First().GetParameters().Select(p => Camel(p.Name!)).ToList();
        y.AppendLine($"    {type.Name}:");
        y.AppendLine("      type: object");
        y.AppendLine("      required:");
        foreach (var name in required)
        {
            y.AppendLine($"        - {name}");
        }

        y.AppendLine("      properties:");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != "EqualityContract"))
        {
            y.AppendLine($"        {Camel(property.Name)}:");
            var doc = Summary($"P:{type.FullName}.{property.Name}") is { Length: > 0 } own ? own : ParamDoc(type, property.Name);
            if (doc.Length > 0)
            {
                y.AppendLine($"          description: {Quote(doc)}");
            }

            WriteTypeSchema(y, property.PropertyType, "          ", new NullabilityInfoContext().Create(property).ReadState == NullabilityState.Nullable);
        }
    }

    private static void WriteTypeSchema(StringBuilder y, Type t, string indent, bool nullable)
    {
        var underlying = Nullable.GetUnderlyingType(t);
        nullable |= underlying is not null;
        t = underlying ?? t;
        if (t.IsEnum || (t.IsClass && t.Namespace?.StartsWith("TgFleet.Contracts", StringComparison.Ordinal) == true))
        {
            y.AppendLine($"{indent}$ref: '#/components/schemas/{t.Name}'");
            return;
        }

        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            y.AppendLine($"{indent}type: array");
            y.AppendLine($"{indent}items:");
            WriteTypeSchema(y, t.GetGenericArguments()[0], indent + "  ", nullable: false);
        }
        else if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) && t.GetGenericArguments()[0] == typeof(string))
        {
            y.AppendLine($"{indent}type: object");
            y.AppendLine($"{indent}additionalProperties:");
            WriteTypeSchema(y, t.GetGenericArguments()[1], indent + "  ", nullable: false);
        }
        else
        {
            var (kind, format) = t == typeof(string) ? ("string", null)
                : t == typeof(Guid) ? ("string", "uuid")
                : t == typeof(DateTimeOffset) ? ("string", "date-time")
                : t == typeof(bool) ? ("boolean", null)
                : t == typeof(int) ? ("integer", "int32")
                : t == typeof(long) ? ("integer", "int64")
                : t == typeof(double) ? ("number", "double")
                : throw new NotSupportedException($"No AsyncAPI mapping for {t}.");
            y.AppendLine($"{indent}type: {kind}");
            if (format is not null)
            {
                y.AppendLine($"{indent}format: {format}");
            }
        }

        if (nullable)
        {
            y.AppendLine($"{indent}nullable: true");
        }
    }

    private static string EnumWire(object value) =>
        JsonSerializer.Serialize(value, value.GetType(), SystemTextJsonMessageSerializer.Options);

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private static string Summary(string member) =>
        Normalize(Docs.Descendants("member").FirstOrDefault(m => (string?)m.Attribute("name") == member)?.Element("summary"));

    private static string ParamDoc(Type type, string property) =>
        Normalize(Docs.Descendants("member").FirstOrDefault(m => (string?)m.Attribute("name") == "T:" + type.FullName)?
            .Elements("param").FirstOrDefault(p => (string?)p.Attribute("name") == property));

    private static string Normalize(XElement? element)
    {
        if (element is null)
        {
            return string.Empty;
        }

        var text = string.Concat(element.Nodes().Select(n => n switch
        {
            XText x => x.Value,
            XElement e when e.Attribute("cref") is { } cref => cref.Value[(cref.Value.LastIndexOf('.') + 1)..],
            XElement e when e.Attribute("name") is { } name => name.Value,
            XElement e => e.Value,
            _ => string.Empty,
        }));
        return string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    private static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>The committed document.</summary>
    public static string FilePath => System.IO.Path.Combine(TgFleet.Testing.Repository.Root, "docs", "asyncapi.yaml");
}
