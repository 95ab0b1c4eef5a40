public enum WorkingCalendarPlaceholder {}
