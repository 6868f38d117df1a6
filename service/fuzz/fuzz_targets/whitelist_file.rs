//! Arbitrary bytes as an uploaded whitelist (.xlsx): the importer's reading
//! (archive sizes, the first sheet's cells streamed, each cell's text and
//! limit) must answer every input with rows or a refusal it can name, never
//! panic, hang or allocate without bound. Seeds are small real workbooks
//! (`corpus/whitelist_file`), so the fuzzer starts inside the zip and XML.

#![no_main]

use libfuzzer_sys::fuzz_target;
use service::precredit::whitelist::read_untrusted_file;

fuzz_target!(|data: &[u8]| {
    match read_untrusted_file(data) {
        Ok(rows) => assert!(rows <= 50_001, "{rows} rows kept past the cap"),
        Err(e) => assert!(
            e.code().starts_with("whitelist_"),
            "a refusal with no user-facing code: {e:?}"
        ),
    }
});
