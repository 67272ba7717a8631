//! Memory-trace readers (Ramulator 2, Ramulator 1, DRAMsim3) and synthetic generators.
