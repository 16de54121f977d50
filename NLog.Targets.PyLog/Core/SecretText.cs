using System;
using System.Collections.Generic;
using System.Text;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// The one way the package takes a secret option (Redis <c>Password</c> and
    /// <c>ConnectionString</c>, SLS <c>AccessKeySecret</c> and <c>SecurityToken</c>, Kafka
    /// <c>sasl.*</c>, <c>ssl.*key*</c>, <c>*password*</c>... producer properties).
    /// </summary>
    /// <remarks>
    /// <para>A secret option is a plain string, never a <c>Layout</c>: NLog's configuration scan and
    /// its layout initialization trace the text of every layout they meet, and at internal log
    /// level Trace that text is the secret (or, after <c>${environment:...}</c>, its value).</para>
    /// <para><c>${environment:NAME}</c> (also <c>${environment:variable=NAME}</c>) is expanded here,
    /// once, without NLog's layout engine; any other <c>${...}</c> is refused at load. Every value
    /// taken is remembered, so <see cref="Redact"/> can scrub it from any text headed for a log or
    /// an exception (a client library's error message may quote it).</para>
    /// </remarks>
    internal sealed class SecretText
    {
        private const string Prefix = "${environment:";

        private readonly List<string> _values = new List<string>();
        private readonly object _lock = new object();

        /// <summary>
        /// Is the librdkafka property <paramref name="propertyName"/> a secret: <c>sasl.*</c> (but
        /// <c>sasl.mechanism(s)</c> and <c>sasl.username</c>), <c>ssl.*key*</c>, or any name with
        /// <c>password</c>, <c>secret</c>, <c>token</c>, <c>jaas</c>, <c>.pem</c> or <c>keytab</c>?
        /// </summary>
        public static bool IsSecretName(string propertyName)
        {
            string name = propertyName.Trim();
            if (name.StartsWith("sasl.", StringComparison.OrdinalIgnoreCase))
            {
                return !(name.Equals("sasl.mechanism", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("sasl.mechanisms", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("sasl.username", StringComparison.OrdinalIgnoreCase));
            }

            if (name.StartsWith("ssl.", StringComparison.OrdinalIgnoreCase) && name.IndexOf("key", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return true;
            }

            foreach (string marker in s_markers)
            {
                if (name.IndexOf(marker, StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        private static readonly string[] s_markers = { "password", "secret", "token", "jaas", ".pem", "keytab" };

        /// <summary>
        /// The secret as configured, with <c>${environment:NAME}</c> expanded; remembered for
        /// <see cref="Redact"/>. Any other <c>${...}</c> throws the package's configuration error
        /// naming <paramref name="target"/> and <paramref name="property"/>, with the value masked.
        /// </summary>
        public string? Expand(string? configured, Target target, string property)
        {
            string? value = ExpandEnvironment(configured, target, property);
            Add(value);
            return value;
        }

        /// <summary>Remembers a secret value taken some other way (the password parsed out of a connection string).</summary>
        public void Add(string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }

            lock (_lock)
            {
                if (!_values.Contains(value))
                {
                    _values.Add(value);
                    // Longest first, so a secret that contains another is replaced whole.
                    _values.Sort((a, b) => b.Length.CompareTo(a.Length));
                }
            }
        }

        /// <summary>Replaces every remembered secret occurring in <paramref name="text"/> with <c>***</c>.</summary>
        public string Redact(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return string.Empty;
            }

            lock (_lock)
            {
                foreach (string secret in _values)
                {
                    if (text.IndexOf(secret, StringComparison.Ordinal) >= 0)
                    {
                        text = text.Replace(secret, "***", StringComparison.Ordinal);
                    }
                }
            }

            return text;
        }

        private static string? ExpandEnvironment(string? value, Target target, string property)
        {
            if (string.IsNullOrEmpty(value) || !value.Contains("${", StringComparison.Ordinal))
            {
                return value;
            }

            var result = new StringBuilder(value.Length);
            int position = 0;
            while (position < value.Length)
            {
                int start = value.IndexOf("${", position, StringComparison.Ordinal);
                if (start < 0)
                {
                    result.Append(value, position, value.Length - position);
                    break;
                }

                result.Append(value, position, start - position);
                int end = value.IndexOf('}', start);
                if (end < 0 || !value.AsSpan(start).StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
                {
                    throw ConfigurationErrors.Invalid(target, property, "***", "may use only ${environment:NAME} (it is a secret and is never handed to NLog's layout engine)");
                }

                ReadOnlySpan<char> name = value.AsSpan(start + Prefix.Length, end - start - Prefix.Length).Trim();
                if (name.StartsWith("variable=", StringComparison.OrdinalIgnoreCase))
                {
                    name = name.Slice("variable=".Length);
                }

                if (name.IsEmpty || name.IndexOf(':') >= 0)
                {
                    throw ConfigurationErrors.Invalid(target, property, "***", "may use only ${environment:NAME}, with one variable name and no other option");
                }

                result.Append(Environment.GetEnvironmentVariable(name.ToString()));
                position = end + 1;
            }

            return result.ToString();
        }
    }
}
