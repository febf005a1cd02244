using System.Globalization;
using TgFleet.FleetBench;

return args switch
{
    ["fleet", .. var rest] => await FleetBenchmark.RunAsync(rest),
    ["campaign", .. var rest] => await CampaignBenchmark.RunAsync(rest),
    [RequestResponseBaseline.ResponderCommand, var amqp, var prefetch] =>
        await RequestResponseBaseline.RespondAsync(new Uri(amqp), int.Parse(prefetch, CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: TgFleet.FleetBench fleet [--accounts N] [--senders S] [--messages M] [--clients C] [--login-window W] [--failover-accounts N] [--skip-memory] [--skip-simulator] [--skip-failover] [--worker-dll PATH] [--worker-setting Key=Value]…");
    return 2;
}
