namespace ShardedKvs.SampleApi.Apis;

/// <summary>A note as the API takes and returns it.</summary>
public sealed record Note(string? Text);
