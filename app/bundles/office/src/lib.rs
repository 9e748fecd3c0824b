//! The office browser bundle: `app` with `hydrate` (the whole app, hydrated whole: the audit
//! and admin pages run on it), exported as one wasm module whose entry point is
//! [`app::hydrate`].

#[cfg(target_arch = "wasm32")]
pub use app::hydrate;
