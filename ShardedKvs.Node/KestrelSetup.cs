using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ShardedKvs.Node;

public static class KestrelSetup
{
    /// <summary>
    /// Run bare (no ASPNETCORE_URLS, no launch profile), a node listens on the port of its ADDRESS,
    /// as the reference did under `docker run -e ADDRESS -e VIEW`. A loopback ADDRESS binds loopback only.
    /// </summary>
    public static WebApplicationBuilder ListenOnAddressPortWhenBare(this WebApplicationBuilder builder)
    {
        ConfigurationManager config = builder.Configuration;
        string? address = config["ADDRESS"];
        bool urlsConfigured = !string.IsNullOrEmpty(config["urls"]) || !string.IsNullOrEmpty(config["http_ports"]) || !string.IsNullOrEmpty(config["HTTP_PORTS"]);
        if (!urlsConfigured && address is not null && address.LastIndexOf(':') is int colon and > 0
            && int.TryParse(address.AsSpan(colon + 1), out int port))
        {
            string host = address[..colon];
            bool loopback = host is "localhost" or "[::1]" || host.StartsWith("127.", StringComparison.Ordinal);
            builder.WebHost.UseUrls($"http://{(loopback ? "localhost" : "0.0.0.0")}:{port}");
        }

        NodeOptions limits = config.GetSection(NodeOptions.Section).Get<NodeOptions>() ?? new NodeOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Public bodies are limited per endpoint (NodeOptions.MaxRequestBodyBytes); this outer
            // bound is for migration batches.
            kestrel.Limits.MaxRequestBodySize = limits.MaxInternalBodyBytes;
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = limits.KeepAliveTimeout;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(5));
            kestrel.Limits.MaxConcurrentConnections = limits.MaxConnections;
            kestrel.AddServerHeader = false;
        });
        return builder;
    }
}
