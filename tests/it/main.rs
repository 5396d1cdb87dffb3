//! Integration tests: the whole app driven through `router()` in-process, plus real sockets,
//! real processes and real peers where a feature needs them.

mod support;

mod authority;
mod contact;
mod content_errors;
mod deploy;
mod editing;
mod feedback;
mod finder;
mod fuzz;
mod hardening;
mod layers;
mod leaflets;
mod open_data;
mod ops;
mod pages;
mod perf;
mod proxy;
mod radiation;
mod search;
mod shipped_content;
