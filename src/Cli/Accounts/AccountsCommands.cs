using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Queries;

namespace TgFleet.Cli.Accounts;

/// <summary><c>tgfleet accounts add|list|show|logout|remove</c>.</summary>
public static class AccountsCommands
{
    public static Command Create(GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(global);
        var accounts = new Command("accounts", "The fleet's accounts: log in, list, show, log out, remove");
        accounts.Subcommands.Add(Add(global));
        accounts.Subcommands.Add(List(global));
        accounts.Subcommands.Add(Show(global));
        accounts.Subcommands.Add(Remove(global, "logout", "Log the account out of Telegram and delete its session (the account stays)"));
        accounts.Subcommands.Add(Remove(global, "remove", "Log the account out and remove it from the fleet"));
        return accounts;
    }

    private static Command Add(GlobalOptions global)
    {
        var id = new Argument<string>("account") { Description = "The account id (your key for it)" };
        var phone = new Option<string>("--phone") { Description = "Its phone number, international format (+447700900123)", Required = true };
        var command = new Command("add", "Log an account in: asks for the code Telegram sends and the 2FA password, typed without echo") { id, phone };
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            var accountId = context.Get(id);
            await using var bus = await context.ConnectBusAsync(cancellationToken, Login.Events);
            var output = context.Output;
            await new Login(bus).RunAsync(accountId, context.Get(phone)!, new TerminalSecrets(output.Console),
                step => { if (!output.Json) { output.Line($"{accountId}: {step}"); } }, cancellationToken);
            var info = await bus.AskAsync<GetAccount, AccountInfo>(new GetAccount(CliContext.NewCommandId(), accountId), context.ShardAddress(accountId), cancellationToken);
            ShowAccount(output, info);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(GlobalOptions global)
    {
        var status = new Option<string?>("--status") { Description = "Only accounts in this status: online, connecting, flood-wait, limited, logged-out, banned" };
        var command = new Command("list", "List the fleet's accounts") { status };
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            AccountStatus? only = context.Get(status) is { } text ? ParseStatus(text) : null;
            await using var bus = await context.ConnectBusAsync(cancellationToken);
            var all = new List<AccountInfo>();
            string? after = null;
            while (true)
            {
                var page = await bus.AskAsync<ListAccounts, AccountList>(new ListAccounts(CliContext.NewCommandId()) { Status = only, After = after },
                    QueryAddressing.Address, cancellationToken);
                all.AddRange(page.Accounts);
                if (page.Accounts.Count < new ListAccounts(Guid.Empty).Limit)
                {
                    break;
                }

                after = page.Accounts[^1].AccountId;
            }

            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(all);
                return ExitCodes.Ok;
            }

            var table = output.Table("ACCOUNT", "PHONE", "STATUS", "SHARD", "TELEGRAM ID", "FLOOD WAIT UNTIL");
            foreach (var a in all)
            {
                table.AddRow(Markup.Escape(a.AccountId), a.PhoneMasked ?? string.Empty, StatusName(a.Status), a.Shard.ToString(CultureInfo.InvariantCulture),
                    a.TelegramUserId?.ToString(CultureInfo.InvariantCulture) ?? string.Empty, a.FloodWaitUntil?.ToString("u", CultureInfo.InvariantCulture) ?? string.Empty);
            }

            output.Write(table);
            output.Line($"{all.Count} account(s)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Show(GlobalOptions global)
    {
        var id = new Argument<string>("account") { Description = "The account id" };
        var command = new Command("show", "What the fleet knows of one account") { id };
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            var accountId = context.Get(id);
            await using var bus = await context.ConnectBusAsync(cancellationToken);
            ShowAccount(context.Output, await bus.AskAsync<GetAccount, AccountInfo>(new GetAccount(CliContext.NewCommandId(), accountId),
                context.ShardAddress(accountId), cancellationToken));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Remove(GlobalOptions global, string name, string description)
    {
        var id = new Argument<string>("account") { Description = "The account id" };
        var command = new Command(name, description) { id };
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            var accountId = context.Get(id);
            await using var bus = await context.ConnectBusAsync(cancellationToken, EventSubscription.Of<AccountStatusChanged>(), EventSubscription.Of<CommandRejected>());
            var commandId = CliContext.NewCommandId();
            if (name == "logout")
            {
                await bus.SendAsync(new LogOut(commandId, accountId), cancellationToken);
            }
            else
            {
                await bus.SendAsync(new RemoveAccount(commandId, accountId), cancellationToken);
            }

            var answer = await bus.NextEventAsync(e => e switch
            {
                AccountStatusChanged s => s.CommandId == commandId,
                CommandRejected r => r.CommandId == commandId,
                _ => false,
            }, name == "logout" ? "LogOut" : "RemoveAccount", cancellationToken);
            if (answer is CommandRejected rejected)
            {
                throw CliException.Rejected(rejected);
            }

            var changed = (AccountStatusChanged)answer;
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(new { accountId, status = changed.Status, reason = changed.Reason, commandId });
            }
            else
            {
                output.Line($"{accountId}: {StatusName(changed.Status)}" + (changed.Reason is null ? string.Empty : $" ({changed.Reason})"));
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void ShowAccount(CliOutput output, AccountInfo info)
    {
        if (output.Json)
        {
            output.WriteJson(info);
            return;
        }

        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("account", Markup.Escape(info.AccountId));
        grid.AddRow("phone", info.PhoneMasked ?? string.Empty);
        grid.AddRow("status", StatusName(info.Status));
        grid.AddRow("shard", ShardAddressing.QueueName(info.Shard));
        grid.AddRow("telegram id", info.TelegramUserId?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);
        if (info.FloodWaitUntil is { } until)
        {
            grid.AddRow("flood wait until", until.ToString("u", CultureInfo.InvariantCulture));
        }

        output.Write(grid);
    }

    /// <summary>A status as the CLI shows and takes it: <c>flood-wait</c>, <c>logged-out</c>, …</summary>
    public static string StatusName(AccountStatus status) => status switch
    {
        AccountStatus.FloodWait => "flood-wait",
        AccountStatus.LoggedOut => "logged-out",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static AccountStatus ParseStatus(string text) =>
        Enum.GetValues<AccountStatus>().FirstOrDefault(s => StatusName(s) == text.Trim().ToLowerInvariant().Replace('_', '-')) is var found && found != 0
            ? found
            : throw new CliException(ExitCodes.Usage, $"--status '{text}' is not one of: {string.Join(", ", Enum.GetValues<AccountStatus>().Select(StatusName))}");
}
