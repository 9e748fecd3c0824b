//! The office browser bundle: `app` with `hydrate` and `office` (every page, the audit and
//! admin ones included), exported as one wasm module whose entry point is [`app::hydrate`].

#[cfg(target_arch = "wasm32")]
pub use app::hydrate;
