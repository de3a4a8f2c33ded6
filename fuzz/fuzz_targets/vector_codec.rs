#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    discreet::fuzzing::vector_codec_bytes(data);
});
