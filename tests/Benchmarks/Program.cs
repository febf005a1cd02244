using TgFleet.Benchmarks;

return args switch
{
    ["binding", .. var rest] => await BindingBenchmark.RunAsync(rest),
    [BindingBenchmark.MemoryCommand, var mode, var clients] => await BindingBenchmark.MeasureMemoryAsync(mode, int.Parse(clients, System.Globalization.CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: TgFleet.Benchmarks binding [--clients N] [--requests R]");
    return 2;
}
