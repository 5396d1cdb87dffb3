//! Crash safety.
