//! Image references: parse and normalise like Docker. No I/O.
