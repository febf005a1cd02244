using TgFleet.Hosting;
using TgFleet.Worker;

var builder = WebApplication.CreateBuilder(args);
builder.AddWorker();
var app = builder.Build();
app.MapFleetEndpoints();
await app.RunAsync();
