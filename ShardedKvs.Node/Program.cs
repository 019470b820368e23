using ShardedKvs.Node;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.ListenOnAddressPortWhenBare();
builder.AddServiceDefaults();
builder.AddShardedKvsNode();

WebApplication app = builder.Build();
app.MapDefaultEndpoints();
app.MapShardedKvsNode();
app.Run();

/// <summary>Visible to the tests' in-process hosts.</summary>
public partial class Program;
