//! Integration tests: the whole app driven through `router()` in-process, plus real sockets,
//! real processes and real peers where a feature needs them.

mod support;

mod content_errors;
mod pages;
mod perf;
