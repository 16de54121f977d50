using System;
using System.Text.Json;

namespace NLog.Targets.PyLog
{
    /// <summary>
    /// An error answer of the SLS service: HTTP status plus the <c>errorCode</c> /
    /// <c>errorMessage</c> of its JSON body and the <c>x-log-requestid</c> header.
    /// </summary>
    /// <remarks>Carries nothing from the request: no key, token or signature.</remarks>
    public sealed class SlsServiceException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public SlsServiceException(int statusCode, string? errorCode, string? errorMessage, string? requestId)
            : base(Describe(statusCode, errorCode, errorMessage, requestId))
        {
            StatusCode = statusCode;
            ErrorCode = errorCode;
            ErrorMessage = errorMessage;
            RequestId = requestId;
        }

        /// <summary>The HTTP status.</summary>
        public int StatusCode { get; }

        /// <summary>The service's error code (<c>WriteQuotaExceed</c>, <c>SignatureNotMatch</c>, ...), when the body had one.</summary>
        public string? ErrorCode { get; }

        /// <summary>The service's error message.</summary>
        public string? ErrorMessage { get; }

        /// <summary>The <c>x-log-requestid</c> to quote to Aliyun support.</summary>
        public string? RequestId { get; }

        internal static SlsServiceException FromResponse(int statusCode, ReadOnlySpan<byte> body, string? requestId)
        {
            string? code = null;
            string? message = null;
            try
            {
                var reader = new Utf8JsonReader(body);
                if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        bool isCode = reader.ValueTextEquals("errorCode");
                        bool isMessage = reader.ValueTextEquals("errorMessage");
                        if (!reader.Read())
                            break;
                        if (reader.TokenType == JsonTokenType.String)
                        {
                            if (isCode)
                                code = reader.GetString();
                            else if (isMessage)
                                message = reader.GetString();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
            }
            catch (JsonException)
            {
                // Not the service's JSON (a proxy page, a truncated body): the status alone decides.
            }
            if (message != null && message.Length > 512)
                message = message.Substring(0, 512);
            return new SlsServiceException(statusCode, code, message, requestId);
        }

        private static string Describe(int statusCode, string? errorCode, string? errorMessage, string? requestId)
        {
            return "SLS answered HTTP " + statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)
                + (errorCode != null ? " " + errorCode : string.Empty)
                + (errorMessage != null ? ": " + errorMessage : string.Empty)
                + (requestId != null ? " (request id " + requestId + ")" : string.Empty);
        }
    }
}
