//! Prepayment (提前还款) of a 360-month loan: 300,000.00 yuan at 4.90 %,
//! equal instalments, prepaid on the 10th day of its first period (the ten
//! nights the batch had not run are accrued first, as in the service).
//!
//! Target: the recomputation of a 360-month schedule in at most 1 ms. Run
//! with `cargo bench -p puhui-domain --bench prepayment`; figures are
//! recorded in `docs/benchmarks.md`, never asserted in tests.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use domain::date::Date;
use domain::money::Fen;
use domain::rate::AnnualRate;
use domain::schedule::{build_schedule, RepaymentMethod};
use domain::servicing::eod::{EodRules, LoanState, LoanTerms, PrepaymentKind, PrepaymentRequest};
use domain::servicing::ledger::IdempotencyKey;

fn loan(method: RepaymentMethod) -> (LoanState, LoanTerms, Date) {
    let principal = Fen::from_yuan(300_000);
    let rate = AnnualRate::from_bp(490).unwrap_or_else(|e| panic!("rate: {e}"));
    let start = Date::new(2025, 1, 15).unwrap_or_else(|e| panic!("date: {e}"));
    let rows = build_schedule(method, principal, rate, 360, start)
        .unwrap_or_else(|e| panic!("schedule: {e}"));
    let (state, _) = LoanState::disburse("B1", rate, principal, &rows, start)
        .unwrap_or_else(|e| panic!("disburse: {e}"));
    (
        state,
        LoanTerms {
            method,
            value_date: start,
        },
        start.add_days(10),
    )
}

fn prepayments(c: &mut Criterion) {
    let rules = EodRules::default();
    let key = IdempotencyKey::parse("bench").unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("prepay_300000_4.90pct_360m");
    for method in [
        RepaymentMethod::EqualInstalment,
        RepaymentMethod::EqualPrincipal,
    ] {
        let (state, terms, on) = loan(method);
        for kind in PrepaymentKind::ALL {
            let request: PrepaymentRequest = kind.request(Fen::from_yuan(100_000));
            // Outside the timed loop: it works, and what it makes.
            let done = state
                .prepay(request, terms, &rules, key.clone(), on)
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert_eq!(done.quote.before.len(), 360);
            let name = format!("{}/{}", method.as_str(), kind.as_str());
            group.bench_function(name, |b| {
                b.iter(|| {
                    black_box(&state).prepay(
                        black_box(request),
                        terms,
                        &rules,
                        key.clone(),
                        black_box(on),
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, prepayments);
criterion_main!(benches);
