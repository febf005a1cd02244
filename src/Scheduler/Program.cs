using TgFleet.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFleetDefaults("tgfleet-scheduler");
builder.AddFleetDatabase();
builder.AddFleetBus();
var app = builder.Build();
app.MapFleetEndpoints();
await app.RunAsync();
