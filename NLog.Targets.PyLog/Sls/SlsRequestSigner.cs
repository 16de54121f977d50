using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;

namespace NLog.Targets.PyLog.Sls
{
    /// <summary>
    /// SLS signature version 1 (as <c>Util.get_request_authorization</c> of the Python SDK and
    /// <c>Client.sign</c> of the Node.js SDK compute it): HMAC-SHA1 keyed with the AccessKeySecret over
    /// <c>VERB\nContent-MD5\nContent-Type\nDate\n</c> + the <c>x-log-*</c>/<c>x-acs-*</c> headers
    /// sorted by name as <c>name:value\n</c> + the resource (path, then <c>?</c> and the query
    /// parameters sorted by name as <c>k=v</c> joined by <c>&amp;</c>), base64-encoded, sent as
    /// <c>Authorization: LOG {AccessKeyId}:{signature}</c>.
    /// </summary>
    internal sealed class SlsRequestSigner
    {
        private readonly string _accessKeyId;
        private readonly byte[] _secret;
        private readonly StringBuilder _text = new StringBuilder(256);

        public SlsRequestSigner(string accessKeyId, string accessKeySecret)
        {
            _accessKeyId = accessKeyId;
            _secret = Encoding.UTF8.GetBytes(accessKeySecret);
        }

        /// <summary>The <c>Authorization</c> header value.</summary>
        /// <param name="verb">HTTP method.</param>
        /// <param name="contentMd5">Upper-case hex MD5 of the body, or empty.</param>
        /// <param name="contentType">Content type, or empty.</param>
        /// <param name="date">The exact <c>Date</c> header value sent.</param>
        /// <param name="headers">All request headers; only <c>x-log-*</c> and <c>x-acs-*</c> (lower-case names) are signed.</param>
        /// <param name="path">The request path.</param>
        /// <param name="query">Query parameters (unencoded), or null.</param>
        public string Authorization(string verb, string contentMd5, string contentType, string date, IReadOnlyList<KeyValuePair<string, string>> headers, string path, IReadOnlyList<KeyValuePair<string, string>>? query)
        {
            var text = StringToSign(verb, contentMd5, contentType, date, headers, path, query);
            var bytes = Encoding.UTF8.GetBytes(text);
            Span<byte> mac = stackalloc byte[20];
            HMACSHA1.HashData(_secret, bytes, mac);
            return "LOG " + _accessKeyId + ":" + Convert.ToBase64String(mac);
        }

        internal string StringToSign(string verb, string contentMd5, string contentType, string date, IReadOnlyList<KeyValuePair<string, string>> headers, string path, IReadOnlyList<KeyValuePair<string, string>>? query)
        {
            var text = _text.Clear();
            text.Append(verb).Append('\n')
                .Append(contentMd5).Append('\n')
                .Append(contentType).Append('\n')
                .Append(date).Append('\n');

            var signed = new List<KeyValuePair<string, string>>(headers.Count);
            for (int i = 0; i < headers.Count; i++)
            {
                var name = headers[i].Key;
                if (name.StartsWith("x-log-", StringComparison.Ordinal) || name.StartsWith("x-acs-", StringComparison.Ordinal))
                    signed.Add(headers[i]);
            }
            signed.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            foreach (var header in signed)
                text.Append(header.Key).Append(':').Append(header.Value).Append('\n');

            text.Append(path);
            if (query != null && query.Count > 0)
            {
                var sorted = new List<KeyValuePair<string, string>>(query);
                sorted.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                for (int i = 0; i < sorted.Count; i++)
                    text.Append(i == 0 ? '?' : '&').Append(sorted[i].Key).Append('=').Append(sorted[i].Value);
            }
            return text.ToString();
        }

        /// <summary>Upper-case hex MD5, the form <c>Content-MD5</c> takes in SLS requests.</summary>
        public static string ContentMd5(ReadOnlySpan<byte> body)
        {
            Span<byte> hash = stackalloc byte[16];
            MD5.HashData(body, hash);
            return Convert.ToHexString(hash);
        }

        public override string ToString() => "SlsRequestSigner(" + _accessKeyId + ")";
    }
}
