//! Containers over their lifetime, beyond one `run`: what they changed
//! (`diff`) and turning them into images (`commit`).

pub mod commit;
