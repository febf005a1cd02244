using TgFleet.Simulator;

// The Telegram simulator as its own process: dotnet run --project src/Simulator -- --urls http://127.0.0.1:5080
// Loopback only, unless --allow-non-loopback says otherwise: only a container of its own (deploy/compose.yaml,
// whose network reaches nothing but the fleet) should serve it on another address.
var urls = args.SkipWhile(a => a != "--urls").Skip(1).FirstOrDefault() ?? "http://127.0.0.1:5080";
var anyAddress = args.Contains("--allow-non-loopback");
if (!anyAddress && !urls.Split(';').All(u => new Uri(u).IsLoopback))
{
    await Console.Error.WriteLineAsync("The simulator listens on loopback only (--urls http://127.0.0.1:PORT), or with --allow-non-loopback in a container.");
    return 2;
}

await using var server = SimulatorServer.Create(["--urls", urls]);
await server.RunAsync(CancellationToken.None);
return 0;
