using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ShardedKvs.Aspire.Hosting;

/// <summary>
/// The dashboard command for when a majority of a replicated cluster died: "Force exclusion" on the
/// node the operator believes survived sends POST /kvs/admin/force-exclusion to that node, which
/// excludes every voter it has not heard from lately, decided by itself alone. The node refuses (409)
/// while it hears a majority and when the cluster is not replicated, and says why.
/// </summary>
public static partial class RecoveryCommands
{
    /// <summary>Command that forces the exclusion of every voter this node no longer hears.</summary>
    public const string ForceExclusion = "force-exclusion";

    /// <summary>Adds the "Force exclusion" command to a node resource.</summary>
    /// <param name="node">The node resource.</param>
    /// <param name="self">This node's address (host:port), where the command sends its request.</param>
    /// <param name="adminKey">The admin key the node requires.</param>
    public static IResourceBuilder<ProjectResource> WithForceExclusionCommand(
        this IResourceBuilder<ProjectResource> node,
        ReferenceExpression self,
        IResourceBuilder<ParameterResource> adminKey)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(adminKey);

        var key = adminKey.Resource;
        return node.WithCommand(ForceExclusion, "Force exclusion",
            context => ForceAsync(context, self, key),
            new CommandOptions
            {
                Description = "Only when a majority of the nodes is dead: this node alone excludes every node it has not heard from lately.",
                IconName = "PlugDisconnected",
                ConfirmationMessage =
                    "Only for when a majority of the nodes is dead. This node will exclude, by itself, every node it has not heard from lately; "
                    + "excluded nodes lose their copies and rejoin as new members when restarted. "
                    + "If the silent nodes are alive on the other side of a network partition, forcing splits the cluster in two. Force exclusion?",
                UpdateState = CommandStates.EnabledWhenRunning,
            });
    }

    private static async Task<ExecuteCommandResult> ForceAsync(ExecuteCommandContext context, ReferenceExpression self, ParameterResource adminKey)
    {
        var cancellationToken = context.CancellationToken;
        var client = context.Services.GetRequiredService<KvsAdminClient>();
        var survivor = await self.GetValueAsync(cancellationToken) ?? "";
        var key = await adminKey.GetValueAsync(cancellationToken) ?? "";
        LogForcing(context.Logger, survivor);

        try
        {
            var (status, body, raw) = await client.ForceExclusionAsync(survivor, key, cancellationToken);
            if (status == 200 && body?.Excluded is { } excluded)
            {
                var names = string.Join(", ", excluded);
                return CommandResults.Success($"Forced exclusion successful: {survivor} excluded {names} at epoch {body.Epoch}", raw, CommandResultFormat.Json);
            }

            var reason = body?.Error ?? body?.Message ?? raw;
            LogForceRefused(context.Logger, survivor, status, reason);
            return CommandResults.Failure($"{survivor} answered {status}: {reason}", raw, CommandResultFormat.Text);
        }
        catch (HttpRequestException e)
        {
            return CommandResults.Failure($"Could not reach {survivor}: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return CommandResults.Failure($"{survivor} did not answer in time; GET /kvs/view shows whether the exclusion went through.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forcing the exclusion of every voter {Survivor} does not hear")]
    private static partial void LogForcing(ILogger logger, string survivor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Survivor} refused the forced exclusion with {Status}: {Reason}")]
    private static partial void LogForceRefused(ILogger logger, string survivor, int status, string reason);
}
