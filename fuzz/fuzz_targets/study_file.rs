#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    discreet::fuzzing::study_file_bytes(data);
});
