using System;
using System.Collections.Generic;
using NLog.Common;
using NLog.Targets.PyLog.Core;
using NLog.Targets.Wrappers;

namespace NLog.Targets.PyLog.Failover
{
    /// <summary>
    /// Connects a child backed by one of this package's network targets (directly or under
    /// wrappers) to its group. Such a child completes an event's continuation when the event
    /// joins a batch, not when it is delivered, so its outcome is learnt here instead: failed
    /// batches through <see cref="PyLogNetworkTarget.FailedEventsHandler"/>, events its full
    /// queue discards through <see cref="PyLogNetworkTarget.OverflowHandler"/>, successful ones
    /// through <see cref="PyLogNetworkTarget.DeliveryReported"/>.
    /// </summary>
    internal sealed class NetworkChildLink
    {
        private readonly FailoverTarget _group;
        private readonly int _child;
        private readonly PyLogNetworkTarget _network;
        private readonly Func<IReadOnlyList<LogEventInfo>, Exception, bool> _failedEvents;
        private readonly Func<LogEventInfo, bool> _overflow;
        private readonly EventHandler<DeliveryReportedEventArgs> _deliveryReported;

        private NetworkChildLink(FailoverTarget group, int child, PyLogNetworkTarget network)
        {
            _group = group;
            _child = child;
            _network = network;
            _failedEvents = OnFailedEvents;
            _overflow = OnOverflow;
            _deliveryReported = OnDeliveryReported;
        }

        /// <summary>Links <paramref name="child"/> if it is, or wraps, a network target; otherwise returns null.</summary>
        public static NetworkChildLink? TryAttach(FailoverTarget group, int index, Target child, int childRetryCount)
        {
            var network = FindNetworkTarget(child);
            if (network is null)
                return null;

            // An unbounded retry (the network default, -1) would keep a dead primary's events in
            // its retry loop for as long as the server is down; the group could never see them fail.
            if (network.RetryCount < 0 && childRetryCount >= 0)
            {
                network.RetryCount = childRetryCount;
                InternalLogger.Info("{0}: child '{1}' retried forever; its RetryCount is capped at {2} (ChildRetryCount) so its failures reach the group", group, network, childRetryCount);
            }

            var link = new NetworkChildLink(group, index, network);
            network.FailedEventsHandler = link._failedEvents;
            network.OverflowHandler = link._overflow;
            network.DeliveryReported += link._deliveryReported;
            return link;
        }

        public void Detach()
        {
            if (ReferenceEquals(_network.FailedEventsHandler, _failedEvents))
                _network.FailedEventsHandler = null;
            if (ReferenceEquals(_network.OverflowHandler, _overflow))
                _network.OverflowHandler = null;
            _network.DeliveryReported -= _deliveryReported;
        }

        private static PyLogNetworkTarget? FindNetworkTarget(Target? target)
        {
            for (int depth = 0; target != null && depth < 16; depth++)
            {
                if (target is PyLogNetworkTarget network)
                    return network;
                target = (target as WrapperTargetBase)?.WrappedTarget;
            }
            return null;
        }

        private bool OnFailedEvents(IReadOnlyList<LogEventInfo> events, Exception exception)
        {
            return _group.OnNetworkChildFailed(_child, events, exception);
        }

        private bool OnOverflow(LogEventInfo logEvent)
        {
            return _group.OnNetworkChildOverflow(_child, logEvent);
        }

        private void OnDeliveryReported(object? sender, DeliveryReportedEventArgs e)
        {
            if (e.Delivered > 0 && e.Failed == 0)
                _group.OnNetworkChildDelivered(_child);
        }
    }
}
