using Spectre.Console;

namespace TgFleet.Cli.Accounts;

/// <summary>
/// A login's code and password from the person at the terminal, typed masked (each character shown
/// as <c>*</c>, never the text); without a terminal on stdin, one line each from stdin.
/// </summary>
public sealed class TerminalSecrets(IAnsiConsole console) : ILoginSecrets
{
    public Task<string> CodeAsync(string accountId, string? delivery, bool retry, CancellationToken cancellationToken) =>
        AskAsync(retry ? "Login code (again)" : "Login code", cancellationToken);

    public Task<string> PasswordAsync(string accountId, string? hint, bool retry, CancellationToken cancellationToken) =>
        AskAsync((retry ? "Two-step verification password (again)" : "Two-step verification password")
            + (string.IsNullOrEmpty(hint) ? string.Empty : $" (hint: {Markup.Escape(hint)})"), cancellationToken);

    private async Task<string> AskAsync(string label, CancellationToken cancellationToken)
    {
        if (!CliOutput.CanPrompt)
        {
            var line = await Console.In.ReadLineAsync(cancellationToken);
            return string.IsNullOrWhiteSpace(line)
                ? throw new CliException(ExitCodes.Failed, $"{label.ToLowerInvariant()}: stdin ended (pipe it in, one line each, or run at a terminal)")
                : line.Trim();
        }

        var prompt = new TextPrompt<string>(label + ":").Secret();
        return (await prompt.ShowAsync(console, cancellationToken)).Trim();
    }
}
