using System.Diagnostics;
using TgFleet.Testing;

namespace TgFleet.Tests.Cli;

/// <summary>
/// A real terminal for interactive tests: a tmux server of its own (its own socket) running one
/// command in a 160×50 window; keys are typed with send-keys, the screen read with capture-pane.
/// The command's exit code is printed as <c>EXIT=N</c> when it ends (the shell around it traps
/// SIGINT, so Ctrl+C reaches the command as at a person's prompt and the line is still printed).
/// </summary>
internal sealed class Terminal : IAsyncDisposable
{
    private readonly string _socket = "tgfleet-test-" + Guid.NewGuid().ToString("N")[..8];

    private Terminal()
    {
    }

    public static async Task<Terminal> StartAsync(IEnumerable<string> command, string? workingDirectory = null)
    {
        var terminal = new Terminal();
        var line = "trap : INT; " + string.Join(' ', command.Select(Quote)) + "; echo EXIT=$?; sleep 600";
        await terminal.TmuxAsync("new-session", "-d", "-s", "t", "-x", "160", "-y", "50", "-c", workingDirectory ?? Directory.GetCurrentDirectory(), line);
        return terminal;
    }

    /// <summary>What the screen shows now (wrapped lines joined).</summary>
    public Task<string> ScreenAsync() => TmuxAsync("capture-pane", "-p", "-J", "-t", "t");

    /// <summary>Everything the terminal showed, the lines scrolled off the top included.</summary>
    public Task<string> HistoryAsync() => TmuxAsync("capture-pane", "-p", "-J", "-S", "-", "-t", "t");

    /// <summary>Waits until the screen shows <paramref name="text"/>.</summary>
    public async Task<string> WaitForAsync(string text, TimeSpan deadline)
    {
        var screen = string.Empty;
        await Wait.UntilAsync(async () => (screen = await ScreenAsync()).Contains(text, StringComparison.Ordinal), deadline, () => "screen:\n" + screen);
        return screen;
    }

    /// <summary>Types <paramref name="text"/> literally, then Enter.</summary>
    public async Task TypeLineAsync(string text)
    {
        await TmuxAsync("send-keys", "-t", "t", "-l", text);
        await TmuxAsync("send-keys", "-t", "t", "Enter");
    }

    /// <summary>Presses keys by tmux's names (e.g. <c>C-c</c>).</summary>
    public Task PressAsync(string key) => TmuxAsync("send-keys", "-t", "t", key);

    public async ValueTask DisposeAsync() => await TmuxAsync("kill-server");

    private async Task<string> TmuxAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-L");
        psi.ArgumentList.Add(_socket);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(psi)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
