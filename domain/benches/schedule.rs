//! Repayment schedules: 300,000.00 yuan at 4.90 % over 360 months.
//!
//! Target: a 360-period schedule in at most 20 µs. Run with
//! `cargo bench -p puhui-domain --bench schedule`; figures are recorded in
//! `docs/benchmarks.md`, never asserted in tests.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use domain::date::Date;
use domain::money::Fen;
use domain::rate::AnnualRate;
use domain::schedule::{build_schedule, RepaymentMethod};
use domain::servicing::schedule_options::{build_schedule_with, ScheduleSpec};

const MONTHS: u32 = 360;

fn inputs() -> (Fen, AnnualRate, Date) {
    let principal = Fen::from_yuan(300_000);
    let rate = AnnualRate::from_bp(490).unwrap_or_else(|e| panic!("rate: {e}"));
    let start = Date::new(2025, 1, 15).unwrap_or_else(|e| panic!("date: {e}"));
    (principal, rate, start)
}

fn schedules(c: &mut Criterion) {
    let (principal, rate, start) = inputs();
    let mut group = c.benchmark_group("build_schedule_300000_4.90pct_360m");
    for method in [
        RepaymentMethod::EqualInstalment,
        RepaymentMethod::EqualPrincipal,
        RepaymentMethod::InterestOnly,
        RepaymentMethod::Bullet,
    ] {
        // Sanity check outside the timed loop: the schedule builds.
        let s = build_schedule(method, principal, rate, MONTHS, start)
            .unwrap_or_else(|e| panic!("{}: {e}", method.as_str()));
        let expected = if method == RepaymentMethod::Bullet {
            1
        } else {
            MONTHS as usize
        };
        assert_eq!(s.len(), expected, "{}", method.as_str());
        group.bench_function(method.as_str(), |b| {
            b.iter(|| {
                build_schedule(
                    black_box(method),
                    black_box(principal),
                    black_box(rate),
                    black_box(MONTHS),
                    black_box(start),
                )
            })
        });
    }
    group.finish();

    let spec = ScheduleSpec::new(
        RepaymentMethod::EqualInstalment,
        principal,
        rate,
        MONTHS,
        start,
    );
    let with = build_schedule_with(&spec).unwrap_or_else(|e| panic!("spec: {e}"));
    assert_eq!(with.len(), MONTHS as usize);
    c.bench_function(
        "build_schedule_with_default_spec/equal_instalment_300000_4.90pct_360m",
        |b| b.iter(|| build_schedule_with(black_box(&spec))),
    );
}

criterion_group!(benches, schedules);
criterion_main!(benches);
