namespace OrleansFlow.Silo.Api;

/// <summary>The body of every error response: one line, and the field it is about when there is one.</summary>
public sealed record ApiError(string Error, string? Field = null)
{
    public static IResult BadRequest(SpecException e) => Status(StatusCodes.Status400BadRequest, e);

    public static IResult Status(int status, SpecException e) => Results.Json(new ApiError(e.Message, e.Field), Jobs.JobJson.Options, statusCode: status);

    public static IResult Status(int status, string message) => Results.Json(new ApiError(message), Jobs.JobJson.Options, statusCode: status);

    /// <summary>
    /// A <see cref="SpecException"/> that escapes an endpoint — a request body refused while it was bound to
    /// the handler's parameter (<see cref="GenerateRequest.BindAsync"/>) — is the same 400 a handler gives.
    /// </summary>
    public static IApplicationBuilder UseSpecErrors(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (SpecException e) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await BadRequest(e).ExecuteAsync(context);
        }
    });
}
