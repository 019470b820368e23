using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Diagnostics;

namespace ShardedKvs.Node.Api;

/// <summary>Unknown paths, wrong methods, bad requests and unexpected failures all answer in the
/// API's JSON error shape rather than an empty body or an HTML page. The middleware added here runs
/// after routing (WebApplication routes first), so it sees which endpoint, if any, matched.</summary>
public static class JsonErrorsMiddleware
{
    public static WebApplication UseJsonErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context =>
            {
                Exception? error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                return error is BadHttpRequestException bad
                    ? ApiErrors.WriteAsync(context, bad.StatusCode, Describe(bad.StatusCode), ApiErrors.MessageFor(context.Request))
                    : ApiErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, "Internal error", ApiErrors.MessageFor(context.Request));
            },

            // A bad request is the caller's doing, not a fault of this node: a body that ends before its
            // Content-Length, most often because the caller gave up on the call (a peer that stopped
            // waiting once enough others answered, a client that timed out). It gets its 4xx answer, but
            // no error log with a stack trace.
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
        });
        app.UseStatusCodePages(context =>
        {
            HttpContext http = context.HttpContext;
            return http.Response.HasStarted || http.Response.ContentLength > 0
                ? Task.CompletedTask
                : ApiErrors.WriteAsync(http, http.Response.StatusCode, Describe(http.Response.StatusCode), ApiErrors.MessageFor(http.Request));
        });

        // "/kvs/keys/.." is normalized to "/kvs/" before routing, so no key endpoint sees it: answer
        // what the key endpoints answer for such a key, not "No such endpoint".
        app.Use((context, next) => context.GetEndpoint() is null && IsDotSegmentKey(context, out string? error)
            ? ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, error, ApiErrors.MessageFor(context.Request))
            : next(context));
        return app;
    }

    private static bool IsDotSegmentKey(HttpContext context, [NotNullWhen(true)] out string? error)
    {
        string method = context.Request.Method;
        error = null;
        return (HttpMethods.IsGet(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method))
            && !KeyPath.TryGetKey(context, KeyApi.KeysPrefix, out _, out error)
            && error == KeyPath.DotSegment;
    }

    private static string Describe(int statusCode) => statusCode switch
    {
        StatusCodes.Status404NotFound => "No such endpoint",
        StatusCodes.Status405MethodNotAllowed => "Method not allowed on this endpoint",
        StatusCodes.Status413PayloadTooLarge => "Request body too large",
        StatusCodes.Status408RequestTimeout => "Request timed out",
        _ => "Bad request",
    };
}
