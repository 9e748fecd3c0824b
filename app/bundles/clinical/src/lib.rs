//! The clinicians' browser bundle: `app` with `hydrate` and `islands` (only the interactive
//! islands of the clinicians' pages), exported as one wasm module whose entry point is
//! [`app::hydrate`]; each island is exported beside it under its own name.

#[cfg(target_arch = "wasm32")]
pub use app::hydrate;
