using ShardedKvs.SampleApi;
using ShardedKvs.SampleApi.Apis;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSampleApiServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapPrimesApi();
app.MapNotesApi();
app.Run();
