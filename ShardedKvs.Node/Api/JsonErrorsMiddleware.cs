using Microsoft.AspNetCore.Diagnostics;

namespace ShardedKvs.Node.Api;

/// <summary>Unknown paths, wrong methods, bad requests and unexpected failures all answer in the
/// API's JSON error shape rather than an empty body or an HTML page.</summary>
public static class JsonErrorsMiddleware
{
    public static WebApplication UseJsonErrors(this WebApplication app)
    {
        app.UseExceptionHandler(handler => handler.Run(context =>
        {
            Exception? error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            return error is BadHttpRequestException bad
                ? ApiErrors.WriteAsync(context, bad.StatusCode, Describe(bad.StatusCode), ApiErrors.MessageFor(context.Request))
                : ApiErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, "Internal error", ApiErrors.MessageFor(context.Request));
        }));
        app.UseStatusCodePages(context =>
        {
            HttpContext http = context.HttpContext;
            return http.Response.HasStarted || http.Response.ContentLength > 0
                ? Task.CompletedTask
                : ApiErrors.WriteAsync(http, http.Response.StatusCode, Describe(http.Response.StatusCode), ApiErrors.MessageFor(http.Request));
        });
        return app;
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
