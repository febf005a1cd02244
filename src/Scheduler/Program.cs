using TgFleet.Hosting;
using TgFleet.Scheduler;

var builder = WebApplication.CreateBuilder(args);
builder.AddFleetDefaults("tgfleet-scheduler");
builder.AddFleetDatabase();
builder.AddCampaigns();
builder.AddSchedulerJobs();
var app = builder.Build();
app.MapFleetEndpoints();
await app.RunAsync();
