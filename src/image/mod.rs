//! Image operations that combine the store, the layer code and the user
//! namespace helper: import, load, pull, save, manifest lists, and unpacking
//! layers.

pub mod change;
pub mod import;
pub mod load;
pub mod manifest;
pub mod pull;
pub mod push;
pub mod save;
pub mod unpack;
pub mod upper;
