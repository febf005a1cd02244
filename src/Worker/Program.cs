using TgFleet.Gate;
using TgFleet.Hosting;
using TgFleet.Worker;

if (args is [GateHost.Verb, .. var gateArgs])
{
    // The same executable runs the worker's egress gate (its child process, or the pod's sidecar).
    await GateHost.RunAsync(gateArgs);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddWorker();
var app = builder.Build();
app.MapFleetEndpoints();
await app.RunAsync();
