using System.CommandLine;
using TgFleet.Cli;
using TgFleet.Cli.Accounts;
using TgFleet.Cli.Campaigns;
using TgFleet.Cli.Fleet;
using TgFleet.Cli.Messaging;

// tgfleet: the operator's command line (docs/cli.md). Exit codes: TgFleet.Cli.ExitCodes.
var global = new GlobalOptions();
var root = new RootCommand("tgfleet: operate a TgFleet fleet over its bus (docs/cli.md)");
global.AddTo(root);
root.Subcommands.Add(AccountsCommands.Create(global));
root.Subcommands.Add(SendCommand.Create(global));
root.Subcommands.Add(CampaignCommands.Create(global));
root.Subcommands.Add(FleetViews.Shards(global));
root.Subcommands.Add(FleetViews.Workers(global));

// No response files: "@name" is a recipient here, not a file of arguments.
var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (parse.Errors.Count > 0)
{
    CliOutput.Error(parse.Errors[0].Message + " (see tgfleet --help)");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
