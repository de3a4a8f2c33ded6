#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    discreet::fuzzing::js_args_bytes(data);
});
