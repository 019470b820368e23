using ShardedKvs.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var cluster = KvsClusterOptions.From(builder.Configuration);

var clusterKey = builder.AddGeneratedSecret("cluster-key",
    "Shared secret the nodes present to each other on internal calls (CLUSTER_KEY).");
var adminKey = builder.AddGeneratedSecret("admin-key",
    "Bearer token that PUT /kvs/view-change requires (ADMIN_KEY).");

builder.AddKvsCluster(cluster, clusterKey, adminKey);

builder.Build().Run();
