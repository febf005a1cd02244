using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace TgFleet.Cli;

/// <summary>
/// Where tgfleet writes: results on stdout (a table, plain lines, or JSON with <c>--json</c>), one
/// line per failure on stderr. Plain (no colour, no cursor movement, borderless tables) when stdout
/// is not a terminal or with <c>--no-color</c>; <c>NO_COLOR</c> is honoured too.
/// </summary>
public sealed class CliOutput
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private CliOutput(IAnsiConsole console, bool json, bool plain)
    {
        Console = console;
        Json = json;
        Plain = plain;
    }

    /// <summary>The console results are written to.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Results as JSON (<c>--json</c>).</summary>
    public bool Json { get; }

    /// <summary>No colour and no live redrawing: stdout is not a terminal, or <c>--no-color</c>.</summary>
    public bool Plain { get; }

    /// <summary>Whether a human can answer prompts (stdin is a terminal).</summary>
    public static bool CanPrompt => !System.Console.IsInputRedirected;

    /// <summary>The output for these settings, on the process's stdout.</summary>
    public static CliOutput Create(bool json, bool noColor)
    {
        var plain = noColor || System.Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 };
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = CanPrompt ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(System.Console.Out),
        });
        if (System.Console.IsOutputRedirected)
        {
            console.Profile.Width = 240; // a log or a pipe: do not wrap at 80 columns
        }

        return new CliOutput(console, json, plain);
    }

    /// <summary>Writes <paramref name="value"/> as JSON to stdout (camelCase, enums by name).</summary>
    public void WriteJson<T>(T value) => Console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>A line of text (not markup) on stdout, never wrapped (logs and pipes keep it whole).</summary>
    public void Line(string text) => Console.Profile.Out.Writer.WriteLine(text);

    /// <summary>A line with Spectre markup (shown without colour when plain).</summary>
    public void Markup(string markup) => Console.MarkupLine(markup);

    /// <summary>A table with these column headers: boxed at a terminal, borderless when plain.</summary>
    public Table Table(params string[] columns)
    {
        var table = new Table().Border(Plain ? TableBorder.None : TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(column).NoWrap());
        }

        return table;
    }

    /// <summary>Renders <paramref name="renderable"/> on stdout.</summary>
    public void Write(IRenderable renderable) => Console.Write(renderable);

    /// <summary>ONE line on stderr: <c>tgfleet: …</c>.</summary>
    public static void Error(string message) =>
        System.Console.Error.WriteLine("tgfleet: " + message.ReplaceLineEndings(" "));
}
