//! Arbitrary UTF-8 into the parser and the compiler (type checking against the
//! production schema): neither may panic, and every refusal must name a place
//! inside the input. Accepted expressions must have every node's span inside
//! the input, and must evaluate on fixed records without panicking.

#![no_main]

#[allow(
    dead_code,
    reason = "shared by both targets, each uses a part; `expect` would be unfulfilled in one"
)]
mod common;

use std::sync::OnceLock;

use domain::rules::expr::{parse, Compiled};
use domain::rules::schema::{FeatureSchema, Features};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    schema: FeatureSchema,
    records: [Features; 2],
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let schema = common::schema();
        let records = common::records(&schema);
        Fixture { schema, records }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let fx = fixture();
    match parse(src) {
        Ok(e) => common::check_tree(src, &e),
        Err(e) => common::check_error(src, &e),
    }
    match Compiled::new(src, &fx.schema) {
        Ok(c) => {
            let _ = (c.text_zh(), c.text_en(), c.refs());
            for f in &fx.records {
                let _ = c.evaluate(f);
                let _ = c.test(f);
            }
        }
        Err(e) => common::check_error(src, &e),
    }
    if let Err(e) = Compiled::condition(src, &fx.schema) {
        common::check_error(src, &e);
    }
});
