//! Builds images from Dockerfiles: the instructions, the build context, the
//! steps that make layers, and the executor that runs stages with a cache.

pub mod context;
pub mod executor;
pub mod instr;
pub mod steps;
