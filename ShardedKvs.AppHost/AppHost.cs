using ShardedKvs.Aspire.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

// The cluster: node-1..N, secrets, dashboard commands; shaped by the "Kvs" configuration section.
var kvs = builder.AddShardedKvs<Projects.ShardedKvs_Node>("kvs", ShardedKvsClusterOptions.From(builder.Configuration));

// An app that uses it: gets ConnectionStrings:kvs and starts once the view serves.
builder.AddProject<Projects.ShardedKvs_SampleApi>("sample-api", launchProfileName: null)
    .WithHttpEndpoint(name: "http")
    .WithReference(kvs)
    .WaitFor(kvs);

builder.Build().Run();
