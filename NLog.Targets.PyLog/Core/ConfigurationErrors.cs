using System;
using System.Reflection;

namespace NLog.Targets.PyLog.Core
{
    /// <summary>
    /// The one wording of a configuration error in this package:
    /// <c>{Type} '{Name}': {Property} {rule} (was '{value}').</c> — the type as written in
    /// <c>nlog.config</c> (<c>xsi:type</c>), the target's name, the property, the rule it breaks
    /// and the value it had. Secrets are passed in already masked by the caller.
    /// </summary>
    internal static class ConfigurationErrors
    {
        /// <summary>The error for <paramref name="property"/> of <paramref name="target"/>.</summary>
        public static NLogConfigurationException Invalid(Target target, string property, object? value, string rule, Exception? inner = null)
        {
            string message = $"{TypeName(target)} '{target.Name}': {property} {rule} (was '{value}').";
            return inner is null ? new NLogConfigurationException(message) : new NLogConfigurationException(message, inner);
        }

        /// <summary>Throws unless <paramref name="value"/> is greater than zero.</summary>
        public static void RequirePositive(Target target, long value, string property)
        {
            if (value <= 0)
                throw Invalid(target, property, value, "must be greater than 0");
        }

        /// <summary>Throws unless <paramref name="value"/> is zero or more.</summary>
        public static void RequireNotNegative(Target target, long value, string property)
        {
            if (value < 0)
                throw Invalid(target, property, value, "must be 0 or more");
        }

        /// <summary>The <c>xsi:type</c> of the target (its <see cref="TargetAttribute"/> name), else its class name.</summary>
        public static string TypeName(Target target)
        {
            var type = target.GetType();
            return type.GetCustomAttribute<TargetAttribute>()?.Name ?? type.Name;
        }
    }
}
