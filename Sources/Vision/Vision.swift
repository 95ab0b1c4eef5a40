// The Vision module (under construction in this session).
