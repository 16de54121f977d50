using System;
using System.IO;
using System.Net.Http;
using System.Net.Sockets;
using NLog.Targets.PyLog.Core;

namespace NLog.Targets.PyLog.Sls
{
    /// <summary>
    /// Retriable or fatal, following the official producers (aliyun-log-java-producer
    /// <c>RetriableErrors</c>, aliyun-log-c-sdk <c>AosStatusToResult</c>): quota, server-side and
    /// transport failures pass with time; any other 4xx (bad key, bad signature, missing
    /// project or logstore, body too large, bad data) will fail the same way again.
    /// </summary>
    internal static class SlsErrorClassifier
    {
        public const string RequestTimeExpired = "RequestTimeExpired";

        public static FailureKind Classify(Exception exception)
        {
            switch (exception)
            {
                case SlsServiceException service:
                    return IsRetriable(service) ? FailureKind.Retriable : FailureKind.Fatal;
                case HttpRequestException:
                case IOException:
                case SocketException:
                case TimeoutException:
                case OperationCanceledException:
                    return FailureKind.Retriable;
                default:
                    return FailureKind.Fatal;
            }
        }

        public static bool IsRetriable(SlsServiceException exception)
        {
            if (exception.StatusCode >= 500 || exception.StatusCode == 429)
                return true;
            switch (exception.ErrorCode)
            {
                case "WriteQuotaExceed":
                case "ShardWriteQuotaExceed":
                case "ExceedQuota":
                case "ServerBusy":
                case "InternalServerError":
                case RequestTimeExpired:
                    return true;
                default:
                    return false;
            }
        }
    }
}
