namespace ShardedKvs.Aspire.Hosting;

/// <summary>Secret parameters that never stop a fresh clone from starting.</summary>
public static class ParameterExtensions
{
    /// <summary>
    /// Adds a secret parameter that takes its value from configuration (<c>Parameters:{name}</c>) when
    /// one is set there, and is otherwise generated once: 32 letters and digits (about 190 bits), saved
    /// in the AppHost's user secrets so it stays the same from run to run. The dashboard shows it,
    /// masked, under Parameters.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddGeneratedSecret(
        this IDistributedApplicationBuilder builder, string name, string description)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var generated = new GenerateParameterDefault { MinLength = 32, Special = false };
        return builder.AddParameter(name, generated, secret: true, persist: true)
            .WithDescription(description);
    }
}
