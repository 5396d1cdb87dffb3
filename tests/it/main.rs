//! Integration tests: the whole app driven through `router()` in-process, plus real sockets,
//! real processes and real peers where a feature needs them.

mod support;

mod contact;
mod content_errors;
mod finder;
mod editing;
mod pages;
mod radiation;
mod shipped_content;
mod search;
