//! `population::records` over arbitrary bytes, in both formats, consuming the
//! iterator: no panic, line numbers that never go back, and nothing after the
//! first error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nyckel_core::population::{ImportFormat, records};
use nyckel_cpr::Date;

fuzz_target!(|data: &[u8]| {
    let Some(today) = Date::new(2026, 1, 15) else {
        return;
    };
    for format in [ImportFormat::Csv, ImportFormat::JsonLines] {
        let mut it = records(data, format, today);
        let mut last_line = 0;
        for item in it.by_ref() {
            match item {
                Ok((line, record)) => {
                    assert!(line > last_line, "lines go forward");
                    last_line = line;
                    assert!(!record.given_names.is_empty());
                    assert!(!record.surname.is_empty());
                    assert!(!record.address.is_empty());
                }
                Err(e) => {
                    assert!(e.line >= 1 && e.line >= last_line);
                    assert!(!e.to_string().is_empty());
                    break;
                }
            }
        }
        assert!(
            it.next().is_none(),
            "fused after the end or the first error"
        );
    }
    let _ = ImportFormat::sniff(data);
});
