//! The one place berth opens sockets: the HTTP client of `ADD <url>` now,
//! the registry client next.

pub mod fetch;
