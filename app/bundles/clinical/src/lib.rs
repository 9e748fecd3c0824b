//! The clinicians' browser bundle: `app` with `hydrate` (every page but the audit and admin
//! ones), exported as one wasm module whose entry point is [`app::hydrate`].

#[cfg(target_arch = "wasm32")]
pub use app::hydrate;
