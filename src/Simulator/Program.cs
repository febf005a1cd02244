using TgFleet.Simulator;

// The Telegram simulator as its own process: dotnet run --project src/Simulator -- --urls http://127.0.0.1:5080
// Loopback only: any other address is refused.
var urls = args.SkipWhile(a => a != "--urls").Skip(1).FirstOrDefault() ?? "http://127.0.0.1:5080";
if (!urls.Split(';').All(u => new Uri(u).IsLoopback))
{
    await Console.Error.WriteLineAsync("The simulator listens on loopback only (--urls http://127.0.0.1:PORT).");
    return 2;
}

await using var server = SimulatorServer.Create(["--urls", urls]);
await server.RunAsync(CancellationToken.None);
return 0;
