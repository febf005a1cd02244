using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using TgFleet.DevServers;

namespace TgFleet.Tests.Observability;

/// <summary>One span as an OTLP exporter sent it.</summary>
internal sealed record ReceivedSpan(string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name);

/// <summary>
/// A minimal OTLP/HTTP trace receiver on loopback (<c>POST /v1/traces</c>, protobuf): what the
/// fleet's processes export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> points here. It reads only
/// the fields a test asserts on (service name, scope, ids, span name) from the wire format.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly Task _loop;

    public OtlpReceiver()
    {
        Port = FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>The endpoint to give the exporters (they append /v1/traces).</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // Stopped.
        }

        _listener.Close();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                foreach (var span in Parse(body.ToArray()))
                {
                    _spans.Enqueue(span);
                }
            }

            // An empty ExportTraceServiceResponse.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    // ExportTraceServiceRequest: 1 resource_spans. ResourceSpans: 1 resource, 2 scope_spans.
    // Resource: 1 attributes (KeyValue: 1 key, 2 value: AnyValue 1 string_value).
    // ScopeSpans: 1 scope (InstrumentationScope: 1 name), 2 spans.
    // Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name.
    private static IEnumerable<ReceivedSpan> Parse(byte[] request)
    {
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1).Select(f => f.Bytes))
        {
            var fields = Fields(resourceSpans).ToList();
            var service = fields.Where(f => f.Number == 1).SelectMany(f => Fields(f.Bytes)).Where(f => f.Number == 1)
                .Select(f => Fields(f.Bytes).ToList())
                .Where(kv => kv.Any(x => x.Number == 1 && Text(x.Bytes) == "service.name"))
                .Select(kv => kv.Where(x => x.Number == 2).SelectMany(x => Fields(x.Bytes)).Where(x => x.Number == 1).Select(x => Text(x.Bytes)).FirstOrDefault() ?? string.Empty)
                .FirstOrDefault() ?? string.Empty;
            foreach (var scopeSpans in fields.Where(f => f.Number == 2).Select(f => Fields(f.Bytes).ToList()))
            {
                var scope = scopeSpans.Where(f => f.Number == 1).SelectMany(f => Fields(f.Bytes)).Where(f => f.Number == 1).Select(f => Text(f.Bytes)).FirstOrDefault() ?? string.Empty;
                foreach (var span in scopeSpans.Where(f => f.Number == 2).Select(f => Fields(f.Bytes).ToList()))
                {
                    string Get(int number) => span.Where(f => f.Number == number).Select(f => f.Bytes).FirstOrDefault() is { } b ? Convert.ToHexStringLower(b) : string.Empty;
                    var name = span.Where(f => f.Number == 5).Select(f => Text(f.Bytes)).FirstOrDefault() ?? string.Empty;
                    yield return new ReceivedSpan(service, scope, Get(1), Get(2), Get(4), name);
                }
            }
        }
    }

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>The length-delimited fields of one message (varint and fixed fields are skipped).</summary>
    private static List<(int Number, byte[] Bytes)> Fields(byte[] message)
    {
        var fields = new List<(int Number, byte[] Bytes)>();
        var i = 0;
        while (i < message.Length)
        {
            var key = Varint(message, ref i);
            var number = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    Varint(message, ref i);
                    break;
                case 1:
                    i += 8;
                    break;
                case 2:
                    var length = (int)Varint(message, ref i);
                    fields.Add((number, message[i..(i + length)]));
                    i += length;
                    break;
                case 5:
                    i += 4;
                    break;
                default:
                    throw new FormatException("Unsupported protobuf wire type " + (key & 7).ToString(CultureInfo.InvariantCulture));
            }
        }

        return fields;
    }

    private static ulong Varint(byte[] message, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
