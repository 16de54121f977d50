namespace NLog.Targets.PyLog
{
    /// <summary>What <see cref="DiskBufferTargetWrapper"/> does when the buffer holds <c>MaxBytes</c>.</summary>
    public enum DiskBufferFullPolicy
    {
        /// <summary>Drop the incoming event (counted with reason <c>buffer_full</c>); what is buffered stays.</summary>
        DropNewest,

        /// <summary>Delete the oldest segment file to make room; its events not yet handed over are counted with reason <c>buffer_full</c>.</summary>
        DropOldest,
    }
}
