using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ShardedKvs.Client.Retries;
using ShardedKvs.Client.Routing;
using ShardedKvs.Client.Telemetry;
using ShardedKvs.Client.Transport;

namespace ShardedKvs.Client;

/// <summary>
/// A ring-aware client: it computes the cluster's placement from GET /kvs/view and sends each key
/// straight to its primary (its first in-sync replica), so no request pays a forward. It refreshes its
/// view when an answer shows it is stale (the answer names another owner, a 503 says nothing was
/// executed, a node refuses connections) and retries only what the retry rules allow
/// (<see cref="RetryRules"/>): a write that may have been applied is never repeated behind your back.
/// While a dead primary is not yet excluded, its keys go to their next replica, which serves them once
/// the survivors fail over. Thread-safe; make one per cluster and share it (it owns its connections).
/// </summary>
public sealed partial class ShardedKvsClient : IDisposable
{
    private readonly ShardedKvsClientOptions _options;
    private readonly HttpClient _http;
    private readonly KeyRequestSender _sender;
    private readonly ViewSource _views;
    private readonly UnreachableNodes _unreachable;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>The constructor DI uses.</summary>
    public ShardedKvsClient(IOptions<ShardedKvsClientOptions> options, TimeProvider? timeProvider = null, ILogger<ShardedKvsClient>? logger = null)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value, handler: null, timeProvider, logger)
    {
    }

    /// <param name="options">Seeds, timeouts and retry limits.</param>
    /// <param name="handler">The HTTP handler to send through; a SocketsHttpHandler (which propagates W3C trace context) when null.
    /// It is not one from IHttpClientFactory on purpose: host-wide resilience handlers would repeat writes.</param>
    /// <param name="timeProvider">Clock for deadlines and retry delays.</param>
    /// <param name="logger">Where view changes and failures are logged.</param>
    public ShardedKvsClient(ShardedKvsClientOptions options, HttpMessageHandler? handler = null, TimeProvider? timeProvider = null, ILogger<ShardedKvsClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<ShardedKvsClient>.Instance;
        _http = new HttpClient(handler ?? CreateHandler(options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _sender = new KeyRequestSender(_http);
        _views = new ViewSource(_http, options, _time, _logger);
        _unreachable = new UnreachableNodes(_time);
    }

    /// <summary>The view the client routes by now; null before the first call.</summary>
    public ShardedKvsView? CurrentView => ToView(_views.Current);

    /// <summary>The value of <paramref name="key"/>, or null when the key does not exist.</summary>
    public Task<string?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        GetAsync(key, null, cancellationToken);

    /// <inheritdoc cref="GetAsync(string, CancellationToken)"/>
    public async Task<string?> GetAsync(string key, ShardedKvsCallOptions? options, CancellationToken cancellationToken = default)
    {
        AttemptResult result = await ExecuteAsync(KeyOperation.Get, key, value: null, options, cancellationToken);
        return result.Status == 404 ? null : result.Answer!.Value;
    }

    /// <summary>Stores <paramref name="value"/> (Unicode text) under <paramref name="key"/>; says whether the key was new.</summary>
    public Task<PutResult> PutAsync(string key, string value, CancellationToken cancellationToken = default) =>
        PutAsync(key, value, null, cancellationToken);

    /// <inheritdoc cref="PutAsync(string, string, CancellationToken)"/>
    public async Task<PutResult> PutAsync(string key, string value, ShardedKvsCallOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        AttemptResult result = await ExecuteAsync(KeyOperation.Put, key, value, options, cancellationToken);
        return result.Status == 201 ? PutResult.Created : PutResult.Replaced;
    }

    /// <summary>Deletes <paramref name="key"/>; true when it existed.</summary>
    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        DeleteAsync(key, null, cancellationToken);

    /// <inheritdoc cref="DeleteAsync(string, CancellationToken)"/>
    public async Task<bool> DeleteAsync(string key, ShardedKvsCallOptions? options, CancellationToken cancellationToken = default)
    {
        AttemptResult result = await ExecuteAsync(KeyOperation.Delete, key, value: null, options, cancellationToken);
        return result.Status != 404;
    }

    /// <summary>
    /// Asks the nodes for the view now (a refresh that a burst of callers shares), and returns the
    /// newest committed one; null when no node serves. The health check uses it.
    /// </summary>
    public async Task<ShardedKvsView?> FetchViewAsync(CancellationToken cancellationToken = default) =>
        ToView(await _views.RefreshAsync(_views.Current, cancellationToken));

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<AttemptResult> ExecuteAsync(
        KeyOperation operation, string key, string? value, ShardedKvsCallOptions? callOptions, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        string name = OperationName(operation);
        bool isWrite = operation != KeyOperation.Get;
        using Activity? activity = ClientTelemetry.StartOperation(name, key);
        long started = _time.GetTimestamp();
        using var deadline = new CancellationTokenSource(callOptions?.Timeout ?? _options.OperationTimeout, _time);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);

        string outcome = "canceled";
        try
        {
            AttemptResult result = await RunAttemptsAsync(operation, key, value, isWrite, activity, call.Token, cancellationToken);
            outcome = OutcomeName(operation, result);
            return result;
        }
        catch (ShardedKvsException e)
        {
            outcome = e switch
            {
                ShardedKvsOutcomeUnknownException => "outcome_unknown",
                ShardedKvsRequestRejectedException => "rejected",
                _ => "unavailable",
            };
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            LogCallFailed(_logger, name, outcome, e.Message);
            throw;
        }
        finally
        {
            var tags = new TagList { { "kvs.operation", name }, { "kvs.outcome", outcome } };
            ClientTelemetry.Operations.Add(1, tags);
            ClientTelemetry.Duration.Record(_time.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    private async Task<AttemptResult> RunAttemptsAsync(
        KeyOperation operation, string key, string? value, bool isWrite, Activity? activity, CancellationToken call, CancellationToken caller)
    {
        for (int attempt = 1; ; attempt++)
        {
            RoutingTable? table = await WithinDeadline(_views.GetAsync(call).AsTask(), key, caller);
            AttemptResult result;
            if (table is null)
            {
                result = new AttemptResult(AttemptKind.Failed, "(no serving node)", Failure: AttemptFailure.NotExecuted);
            }
            else
            {
                string owner = table.RouteOf(key, node => _unreachable.Avoids(node, table.Epoch), out bool aroundPrimary);
                if (aroundPrimary)
                {
                    _views.RefreshInBackgroundUnlessRecent(table, UnreachableNodes.RefreshWhileAvoiding);
                }

                using var attemptTimeout = new CancellationTokenSource(_options.AttemptTimeout, _time);
                using var attemptToken = CancellationTokenSource.CreateLinkedTokenSource(call, attemptTimeout.Token);
                result = await _sender.SendAsync(operation, owner, key, value, attemptToken.Token, caller);
                if (result.Failure == AttemptFailure.NotSent && result.Kind == AttemptKind.Failed)
                {
                    _unreachable.Add(owner, table.Epoch);
                    LogRoutingAround(_logger, owner, table.Epoch);
                }
                else if (result.Status is not null)
                {
                    _unreachable.Remove(owner);
                }

                activity?.SetTag("server.address", owner);
                activity?.SetTag("kvs.epoch", table.Epoch);
            }

            activity?.SetTag("kvs.attempts", attempt);
            switch (result.Kind)
            {
                case AttemptKind.Answered:
                    if (table is not null && result.ShowsStaleView)
                    {
                        _views.RefreshInBackground(table);
                    }

                    return result;

                case AttemptKind.Rejected:
                    throw new ShardedKvsRequestRejectedException($"ShardedKvs refused the request: {result.Describe()}")
                    {
                        Key = key, Node = result.Node, StatusCode = result.Status, Error = result.Answer?.Error,
                    };
            }

            RetryDecision decision = RetryRules.Decide(isWrite, result.Failure, attempt, _options.MaxAttempts);
            if (decision == RetryDecision.Retry && call.IsCancellationRequested)
            {
                decision = RetryDecision.FailUnavailable; // the call's deadline has passed
            }

            switch (decision)
            {
                case RetryDecision.FailOutcomeUnknown:
                    throw new ShardedKvsOutcomeUnknownException(
                        $"ShardedKvs {OperationName(operation)} may or may not have been applied: {result.Describe()}", result.Error)
                    {
                        Key = key, Node = result.Node, StatusCode = result.Status,
                    };

                case RetryDecision.FailUnavailable:
                    throw Unavailable(key, result, attempt);
            }

            ClientTelemetry.Retries.Add(1, new TagList { { "kvs.operation", OperationName(operation) }, { "kvs.failure", result.Failure.ToString() } });
            await WithinDeadline(_views.RefreshAsync(table, call), key, caller);
            await WithinDeadline(Task.Delay(RetryRules.DelayBefore(attempt + 1, _options.RetryDelay, _options.MaxRetryDelay), _time, call), key, caller);
        }
    }

    /// <summary>Runs a step that executes nothing on the store; the call's deadline there means "unavailable".</summary>
    private static async Task<T> WithinDeadline<T>(Task<T> step, string key, CancellationToken caller)
    {
        try
        {
            return await step;
        }
        catch (OperationCanceledException e) when (!caller.IsCancellationRequested)
        {
            throw new ShardedKvsUnavailableException("ShardedKvs call ran out of time before the cluster could serve it.", e) { Key = key };
        }
    }

    private static async Task WithinDeadline(Task step, string key, CancellationToken caller) =>
        await WithinDeadline(step.ContinueWith(static t => { t.GetAwaiter().GetResult(); return true; }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default), key, caller);

    private static ShardedKvsUnavailableException Unavailable(string key, AttemptResult last, int attempts) =>
        new($"ShardedKvs could not serve the request after {attempts} attempt(s); it was not executed. Last: {last.Describe()}", last.Error)
        {
            Key = key, Node = last.Node, StatusCode = last.Status,
        };

    private static SocketsHttpHandler CreateHandler(ShardedKvsClientOptions options) => new()
    {
        ConnectTimeout = options.ConnectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        UseProxy = false,
    };

    private static ShardedKvsView? ToView(RoutingTable? table) =>
        table is null ? null : new ShardedKvsView(table.Epoch, table.View, table.TokensPerNode)
        {
            ReplicationFactor = table.ReplicationFactor,
            MemberStates = table.MemberStates,
        };

    private static string OperationName(KeyOperation operation) => operation switch
    {
        KeyOperation.Get => "get",
        KeyOperation.Put => "put",
        _ => "delete",
    };

    private static string OutcomeName(KeyOperation operation, AttemptResult result) => (operation, result.Status) switch
    {
        (KeyOperation.Put, 201) => "created",
        (KeyOperation.Put, _) => "replaced",
        (_, 404) => "not_found",
        (KeyOperation.Get, _) => "found",
        _ => "deleted",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "ShardedKvs client: {Node} refused a connection; under epoch {Epoch} its keys go to their next in-sync replica for a while")]
    private static partial void LogRoutingAround(ILogger logger, string node, long epoch);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ShardedKvs {Operation} failed ({Outcome}): {Reason}")]
    private static partial void LogCallFailed(ILogger logger, string operation, string outcome, string reason);
}
