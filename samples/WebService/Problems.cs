namespace Microsoft.ML.MirrorGan.WebService;

/// <summary>
/// RFC 9457 problem responses (application/problem+json) that name the request field at fault and the limit it broke,
/// so a client can show the message as is.
/// </summary>
internal static class Problems
{
    public static IResult Invalid(string field, string detail, object? limit = null) =>
        Make(StatusCodes.Status400BadRequest, "Invalid request", field, detail, limit);

    public static IResult TooLarge(string field, long limit, string setting) =>
        Make(StatusCodes.Status413PayloadTooLarge, "Request too large", field,
            $"The {field} is larger than {limit:N0} bytes, the limit ({setting}).", limit);

    public static IResult UnsupportedType(string field, string? got, string expected) =>
        Make(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", field,
            $"Content-Type is '{got ?? "(none)"}'; send {expected}.", null);

    /// <summary>Kestrel stopped reading the body: 408 when it arrived too slowly or ended early, else Kestrel's status.</summary>
    public static IResult BodyNotRead(string field, BoundedBody.Body body) => body.Outcome == BoundedBody.Outcome.TimedOut
        ? Make(StatusCodes.Status408RequestTimeout, "Request body timed out", field,
            "The request body arrived too slowly or ended before its Content-Length; send the whole body at once.", null)
        : Make(body.Status is >= 400 and < 500 ? body.Status : StatusCodes.Status400BadRequest, "Request body rejected", field,
            "The request body is malformed at the HTTP level (for example a broken chunked encoding).", null);

    public static IResult Unavailable(string field, string detail) =>
        Make(StatusCodes.Status400BadRequest, "Not available for this model", field, detail, null);

    private static IResult Make(int status, string title, string field, string detail, object? limit)
    {
        var extensions = new Dictionary<string, object?> { ["field"] = field };
        if (limit is not null) extensions["limit"] = limit;
        return Results.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
    }
}
