//! The queue commands.
