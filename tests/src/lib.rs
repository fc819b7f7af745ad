//! Integration tests for gearbox live in `tests/`; they load the libraries built
//! by `cargo build --release --workspace` from the target directory.
pub mod reference;
pub mod state;
