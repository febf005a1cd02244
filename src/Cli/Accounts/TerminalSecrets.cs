using System.Diagnostics;
using System.Runtime.InteropServices;
using Spectre.Console;

namespace TgFleet.Cli.Accounts;

/// <summary>
/// A login's code and password from the person at the terminal, typed without echo (nothing of
/// them ever reaches the screen, as with passwd or ssh: the terminal's echo is off from before the
/// prompt is shown, so keys typed ahead are not echoed either); without a terminal on stdin, one
/// line each from stdin.
/// </summary>
public sealed class TerminalSecrets(IAnsiConsole console) : ILoginSecrets
{
    public Task<string> CodeAsync(string accountId, string? delivery, bool retry, CancellationToken cancellationToken) =>
        AskAsync(retry ? "Login code (again)" : "Login code", cancellationToken);

    public Task<string> PasswordAsync(string accountId, string? hint, bool retry, CancellationToken cancellationToken) =>
        AskAsync((retry ? "Two-step verification password (again)" : "Two-step verification password")
            + (string.IsNullOrEmpty(hint) ? string.Empty : $" (hint: {hint})"), cancellationToken);

    private async Task<string> AskAsync(string label, CancellationToken cancellationToken)
    {
        if (!CliOutput.CanPrompt)
        {
            var line = await Console.In.ReadLineAsync(cancellationToken);
            return string.IsNullOrWhiteSpace(line)
                ? throw new CliException(ExitCodes.Failed, $"{label.ToLowerInvariant()}: stdin ended (pipe it in, one line each, or run at a terminal)")
                : line.Trim();
        }

        // The terminal's own line editing with echo off, read from /dev/tty: .NET's console would
        // echo what it reads itself, and keys typed before it reads are echoed by the terminal.
        Stty("-echo");
        using var restore = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Stty("echo"));
        try
        {
            console.Markup(Markup.Escape(label) + ": (typed without echo) ");
            await using var tty = new FileStream("/dev/tty", FileMode.Open, FileAccess.Read);
            var bytes = new List<byte>();
            var one = new byte[1];
            while (await tty.ReadAsync(one, cancellationToken) == 1 && one[0] != (byte)'\n')
            {
                bytes.Add(one[0]);
            }

            return System.Text.Encoding.UTF8.GetString(bytes.ToArray()).Trim();
        }
        finally
        {
            Stty("echo");
            console.WriteLine();
        }
    }

    private static void Stty(string setting)
    {
        // stdin inherited: stty sets the terminal this process reads from.
        using var stty = Process.Start(new ProcessStartInfo("stty", setting) { UseShellExecute = false });
        stty?.WaitForExit();
    }
}
