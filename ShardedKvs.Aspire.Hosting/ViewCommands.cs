using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ShardedKvs.Aspire.Hosting;

/// <summary>
/// Dashboard commands on each node resource: "Add to view", "Remove from view" and "Show view".
/// They find the current view by asking every node (GET /kvs/view), then send the new view to a node
/// that belongs to both the old and the new view (PUT /kvs/view-change with the admin key).
/// </summary>
public static partial class ViewCommands
{
    /// <summary>Command that adds this node at the end of the current view.</summary>
    public const string AddToView = "add-to-view";

    /// <summary>Command that removes this node from the current view (its keys move to the others).</summary>
    public const string RemoveFromView = "remove-from-view";

    /// <summary>Command that reports the current view and each node's state.</summary>
    public const string ShowView = "show-view";

    /// <summary>Adds the three view commands to a node resource.</summary>
    /// <param name="node">The node resource.</param>
    /// <param name="self">This node's address (host:port) as it appears in views.</param>
    /// <param name="cluster">Addresses of every node of the cluster, in or out of the view.</param>
    /// <param name="adminKey">The admin key the nodes require for view changes.</param>
    public static IResourceBuilder<ProjectResource> WithViewCommands(
        this IResourceBuilder<ProjectResource> node,
        ReferenceExpression self,
        IReadOnlyList<ReferenceExpression> cluster,
        IResourceBuilder<ParameterResource> adminKey)
    {
        ArgumentNullException.ThrowIfNull(node);

        var target = new CommandTarget(self, cluster, adminKey.Resource);

        return node
            .WithCommand(AddToView, "Add to view",
                context => ChangeMembershipAsync(context, target, add: true),
                new CommandOptions
                {
                    Description = "Append this node to the current view; keys it now owns move to it.",
                    IconName = "AddCircle",
                    UpdateState = CommandStates.EnabledWhenRunning,
                })
            .WithCommand(RemoveFromView, "Remove from view",
                context => ChangeMembershipAsync(context, target, add: false),
                new CommandOptions
                {
                    Description = "Drop this node from the current view; its keys move to the other nodes.",
                    IconName = "SubtractCircle",
                    ConfirmationMessage = "Remove this node from the view? Its keys move to the other nodes.",
                    UpdateState = CommandStates.EnabledWhenRunning,
                })
            .WithCommand(ShowView, "Show view",
                context => ShowViewAsync(context, target),
                new CommandOptions
                {
                    Description = "Show the current view, its epoch and every node's state.",
                    IconName = "Organization",
                });
    }

    private static async Task<ExecuteCommandResult> ChangeMembershipAsync(
        ExecuteCommandContext context, CommandTarget target, bool add)
    {
        var cancellationToken = context.CancellationToken;
        var client = context.Services.GetRequiredService<KvsAdminClient>();
        var self = await target.Self.GetValueAsync(cancellationToken) ?? "";
        var (current, _) = await target.AskEveryNodeAsync(client, cancellationToken);

        if (current is null)
        {
            return CommandResults.Failure("No node is serving yet, so there is no view to change. Try again when the view's nodes are healthy.");
        }

        if (add == current.Contains(self))
        {
            return CommandResults.Failure(add
                ? $"{self} is already in the view (epoch {current.Epoch}): {current.Text}"
                : $"{self} is not in the view (epoch {current.Epoch}): {current.Text}");
        }

        var next = add ? current.With(self) : current.Without(self);
        if (next.Members.Count == 0)
        {
            return CommandResults.Failure($"{self} is the only node of the view; a view needs at least one node.");
        }

        // A node of both the old and the new view coordinates, so the coordinator outlives the change.
        var coordinator = next.Members.First(current.Contains);
        var adminKey = await target.AdminKey.GetValueAsync(cancellationToken) ?? "";
        LogViewChange(context.Logger, current.Text, next.Text, coordinator);

        try
        {
            var (status, body, raw) = await client.ChangeViewAsync(coordinator, next.Text, adminKey, cancellationToken);
            if (status == 200 && body?.Shards is { } shards)
            {
                var lost = body.LostNodes is { Count: > 0 } nodes ? $" (lost, with their keys: {string.Join(", ", nodes)})" : "";
                return CommandResults.Success($"View change successful: {next.Text}{lost}", DescribeShards(shards), CommandResultFormat.Text);
            }

            var reason = body?.Error ?? body?.Message ?? raw;
            LogViewChangeRefused(context.Logger, coordinator, status, reason);
            return CommandResults.Failure($"{coordinator} answered {status}: {reason}", raw, CommandResultFormat.Text);
        }
        catch (HttpRequestException e)
        {
            return CommandResults.Failure($"Could not reach {coordinator}: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return CommandResults.Failure($"{coordinator} did not answer in time; GET /kvs/view shows whether the change went through.");
        }
    }

    private static async Task<ExecuteCommandResult> ShowViewAsync(ExecuteCommandContext context, CommandTarget target)
    {
        var client = context.Services.GetRequiredService<KvsAdminClient>();
        var (current, answers) = await target.AskEveryNodeAsync(client, context.CancellationToken);

        var report = new StringBuilder();
        foreach (var (address, answer) in answers)
        {
            report.AppendLine(Describe(address, answer));
        }

        return current is null
            ? CommandResults.Failure("No node is serving yet.", report.ToString(), CommandResultFormat.Text)
            : CommandResults.Success($"Epoch {current.Epoch}: {current.Text}", report.ToString(), CommandResultFormat.Text, displayImmediately: true);
    }

    private static string Describe(string address, NodeViewResponse? answer) => answer switch
    {
        null => $"{address}: not answering",
        { PendingView: { } pending } => $"{address}: {answer.State}, epoch {answer.Epoch}, view {answer.View}, changing to {pending}",
        _ => $"{address}: {answer.State}, epoch {answer.Epoch}, view {answer.View}",
    };

    private static string DescribeShards(IReadOnlyList<ShardKeyCount> shards)
    {
        var text = new StringBuilder();
        foreach (var shard in shards)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{shard.Address}: {shard.KeyCount} keys");
        }

        return text.ToString();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "View change from {OldView} to {NewView} through {Coordinator}")]
    private static partial void LogViewChange(ILogger logger, string oldView, string newView, string coordinator);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Coordinator} refused the view change with {Status}: {Reason}")]
    private static partial void LogViewChangeRefused(ILogger logger, string coordinator, int status, string reason);

    /// <summary>What a node's commands need: its address, every node's address and the admin key.</summary>
    private sealed record CommandTarget(ReferenceExpression Self, IReadOnlyList<ReferenceExpression> Cluster, ParameterResource AdminKey)
    {
        /// <summary>Asks every node for its view, in parallel; returns the current view and each answer.</summary>
        public async Task<(ClusterView? Current, IReadOnlyList<(string Address, NodeViewResponse? Answer)> Answers)> AskEveryNodeAsync(
            KvsAdminClient client, CancellationToken cancellationToken)
        {
            var answers = await Task.WhenAll(Cluster.Select(async node =>
            {
                var address = await node.GetValueAsync(cancellationToken) ?? "";
                return (address, await client.TryGetViewAsync(address, cancellationToken));
            }));
            return (ClusterView.Current(answers.Select(a => a.Item2)), answers);
        }
    }
}
