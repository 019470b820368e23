namespace ShardedKvs.Node;

/// <summary>Builds a node's web application: used by Program and by in-process test clusters.</summary>
public static class NodeApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(NodeApp).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);
        builder.ListenOnAddressPortWhenBare();
        builder.AddServiceDefaults();
        builder.AddShardedKvsNode();

        WebApplication app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapShardedKvsNode();
        return app;
    }
}
