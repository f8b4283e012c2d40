namespace OrleansFlow.Silo.Api;

/// <summary>The body of every error response: one line, and the field it is about when there is one.</summary>
public sealed record ApiError(string Error, string? Field = null)
{
    public static IResult BadRequest(SpecException e) => Results.Json(new ApiError(e.Message, e.Field), Jobs.JobJson.Options, statusCode: StatusCodes.Status400BadRequest);

    public static IResult Status(int status, string message) => Results.Json(new ApiError(message), Jobs.JobJson.Options, statusCode: status);
}
