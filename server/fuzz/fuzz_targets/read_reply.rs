//! Any bytes as a source's search reply: the reader must never panic (it may refuse).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = server::sources::read_reply(data, "fuzz");
});
