//! Whatever parses prints (`Expr`'s `Display`, the source form) to text that
//! parses back to the same tree, and printing that tree again gives the same
//! text. Whatever compiles compiles again from its printed form, with the same
//! type and the same value on fixed records; evaluation never panics.

#![no_main]

#[allow(
    dead_code,
    reason = "shared by both targets, each uses a part; `expect` would be unfulfilled in one"
)]
mod common;

use std::sync::OnceLock;

use domain::rules::expr::{parse, render, Compiled, Lang};
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
    let Ok(tree) = parse(src) else {
        return;
    };
    let printed = tree.to_string();
    let again = parse(&printed)
        .unwrap_or_else(|e| panic!("{src:?} printed as {printed:?}, which does not parse: {e}"));
    assert_eq!(
        common::strip(&again),
        common::strip(&tree),
        "{src:?} printed as {printed:?} parses to another tree"
    );
    assert_eq!(
        again.to_string(),
        printed,
        "{src:?}: printing is not stable"
    );
    common::check_tree(&printed, &again);
    let label = |name: &str| Some(format!("<{name}>"));
    let _ = (
        render(&tree, Lang::Zh, &label),
        render(&tree, Lang::En, &label),
    );

    let fx = fixture();
    let Ok(compiled) = Compiled::new(src, &fx.schema) else {
        return;
    };
    let reprinted = Compiled::new(&printed, &fx.schema).unwrap_or_else(|e| {
        panic!("{src:?} compiles but its printed form {printed:?} does not: {e}")
    });
    assert_eq!(compiled.ty(), reprinted.ty(), "{src:?} / {printed:?}");
    for f in &fx.records {
        assert_eq!(
            compiled.evaluate(f),
            reprinted.evaluate(f),
            "{src:?} / {printed:?}"
        );
        let _ = compiled.test(f);
    }
});
