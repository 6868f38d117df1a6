//! Tests of the schedule maths: published figures, hand-checked rows, and
//! properties that hold for every method. f64 appears only here, as a reference.

use super::*;
use proptest::prelude::*;
use rstest::rstest;

fn rate(bp: u32) -> AnnualRate {
    match AnnualRate::from_bp(bp) {
        Ok(r) => r,
        Err(e) => panic!("test rate {bp} bp: {e}"),
    }
}

fn date(s: &str) -> Date {
    match Date::parse(s) {
        Ok(d) => d,
        Err(e) => panic!("test date {s}: {e}"),
    }
}

fn schedule(method: RepaymentMethod, p: i64, bp: u32, months: u32) -> Vec<Instalment> {
    match build_schedule(method, Fen(p), rate(bp), months, date("2025-01-15")) {
        Ok(s) => s,
        Err(e) => panic!("schedule {method:?} {p} {bp} {months}: {e}"),
    }
}

#[rstest]
// Published figures: 300,000 yuan and 1,000,000 yuan at 4.90 % over 30 years,
// 100,000 yuan at 4.35 % over a year (checked against the exact fraction).
#[case::mortgage_300k(30_000_000, 490, 360, 159_218)]
#[case::mortgage_1m(100_000_000, 490, 360, 530_727)]
#[case::one_year_100k(10_000_000, 435, 12, 853_099)]
// One month: principal × (1 + r) exactly.
#[case::one_month(100_000, 1200, 1, 101_000)]
// Exact ties, x.5 fen, round up. Fixed point at 10^18 gets these wrong.
#[case::tie_one_month(60, 1000, 1, 61)]
#[case::tie_two_months(400_010_000, 6, 2, 200_020_001)]
// Smallest inputs.
#[case::one_fen(1, 1, 1, 1)]
#[case::one_fen_long(1, 1, 480, 0)]
fn equal_instalment_payment_matches_the_exact_annuity(
    #[case] principal: i64,
    #[case] bp: u32,
    #[case] months: u32,
    #[case] payment: i64,
) {
    assert_eq!(
        equal_instalment_payment(Fen(principal), rate(bp), months),
        Ok(Fen(payment))
    );
}

#[test]
fn golden_mortgage_schedule() {
    let s = schedule(RepaymentMethod::EqualInstalment, 30_000_000, 490, 360);
    assert_eq!(s.len(), 360);
    let first = s[0];
    assert_eq!(first.n, 1);
    assert_eq!(first.due_date, date("2025-02-15"));
    assert_eq!(
        (
            first.principal,
            first.interest,
            first.payment,
            first.balance
        ),
        (Fen(36_718), Fen(122_500), Fen(159_218), Fen(29_963_282))
    );
    let last = s[359];
    assert_eq!(last.n, 360);
    assert_eq!(last.due_date, date("2055-01-15"));
    assert_eq!(
        (last.principal, last.interest, last.payment, last.balance),
        (Fen(158_563), Fen(647), Fen(159_210), Fen::ZERO)
    );
    assert_eq!(
        totals(&s),
        ScheduleTotals {
            principal: Fen(30_000_000),
            interest: Fen(27_318_472),
            payment: Fen(57_318_472),
        }
    );
}

/// 100,000 yuan at 4.35 % over 12 months under each method: first row, last row,
/// total interest. Computed independently with exact fractions.
#[rstest]
#[case::equal_instalment(
    RepaymentMethod::EqualInstalment,
    (816_849, 36_250, 853_099, 9_183_151),
    (850_020, 3_081, 853_101),
    237_190
)]
#[case::equal_principal(
    RepaymentMethod::EqualPrincipal,
    (833_333, 36_250, 869_583, 9_166_667),
    (833_337, 3_021, 836_358),
    235_626
)]
#[case::interest_only(
    RepaymentMethod::InterestOnly,
    (0, 36_250, 36_250, 10_000_000),
    (10_000_000, 36_250, 10_036_250),
    435_000
)]
fn one_year_loan_by_method(
    #[case] method: RepaymentMethod,
    #[case] first: (i64, i64, i64, i64),
    #[case] last: (i64, i64, i64),
    #[case] total_interest: i64,
) {
    let s = schedule(method, 10_000_000, 435, 12);
    assert_eq!(s.len(), 12);
    let f = s[0];
    assert_eq!(
        (
            f.principal.get(),
            f.interest.get(),
            f.payment.get(),
            f.balance.get()
        ),
        first
    );
    let l = s[11];
    assert_eq!(
        (
            l.principal.get(),
            l.interest.get(),
            l.payment.get(),
            l.balance.get()
        ),
        (last.0, last.1, last.2, 0)
    );
    assert_eq!(totals(&s).interest, Fen(total_interest));
}

#[test]
fn bullet_is_one_instalment_at_maturity() {
    let s = schedule(RepaymentMethod::Bullet, 10_000_000, 435, 12);
    assert_eq!(
        s,
        vec![Instalment {
            n: 1,
            due_date: date("2026-01-15"),
            principal: Fen(10_000_000),
            interest: Fen(435_000),
            payment: Fen(10_435_000),
            balance: Fen::ZERO,
        }]
    );
    // 1 fen at 0.01 % for 1 month is 1/120000 fen of interest: rounds to nothing.
    assert_eq!(
        schedule(RepaymentMethod::Bullet, 1, 1, 1)[0].interest,
        Fen::ZERO
    );
    // 60 fen at 10 % for one month is exactly half a fen: rounds up.
    assert_eq!(
        schedule(RepaymentMethod::Bullet, 60, 1000, 1)[0].interest,
        Fen(1)
    );
}

#[test]
fn due_dates_clamp_to_month_end_and_recover() {
    let s = match build_schedule(
        RepaymentMethod::EqualPrincipal,
        Fen(300),
        rate(490),
        4,
        date("2024-01-31"),
    ) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let dates: Vec<String> = s.iter().map(|i| i.due_date.to_string()).collect();
    assert_eq!(
        dates,
        ["2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"]
    );
}

/// A level payment rounded up compounds: 1,000 yuan at 24 % over 30 years pays off
/// in month 350, and the ten instalments after it are zero.
#[test]
fn rounding_can_pay_off_early_and_later_instalments_are_zero() {
    let s = schedule(RepaymentMethod::EqualInstalment, 100_000, 2400, 360);
    assert_eq!(
        equal_instalment_payment(Fen(100_000), rate(2400), 360),
        Ok(Fen(2002))
    );
    assert!(s[..349].iter().all(|i| i.payment == Fen(2002)));
    let payoff = s[349];
    assert_eq!(
        (
            payoff.principal,
            payoff.interest,
            payoff.payment,
            payoff.balance
        ),
        (Fen(1958), Fen(39), Fen(1997), Fen::ZERO)
    );
    assert!(s[350..]
        .iter()
        .all(|i| i.payment == Fen::ZERO && i.balance == Fen::ZERO));
    assert_eq!(totals(&s).principal, Fen(100_000));
}

#[rstest]
#[case::revolving(
    RepaymentMethod::Revolving,
    100,
    12,
    "2025-01-15",
    ScheduleError::NoFixedSchedule
)]
#[case::revolving_checked_first(
    RepaymentMethod::Revolving,
    0,
    0,
    "2025-01-15",
    ScheduleError::NoFixedSchedule
)]
#[case::zero(
    RepaymentMethod::EqualInstalment,
    0,
    12,
    "2025-01-15",
    ScheduleError::NonPositivePrincipal
)]
#[case::negative(RepaymentMethod::Bullet, -1, 12, "2025-01-15", ScheduleError::NonPositivePrincipal)]
#[case::huge(RepaymentMethod::EqualPrincipal, MAX_PRINCIPAL.get() + 1, 12, "2025-01-15", ScheduleError::PrincipalTooLarge)]
#[case::zero_term(
    RepaymentMethod::InterestOnly,
    100,
    0,
    "2025-01-15",
    ScheduleError::ZeroTerm
)]
#[case::long_term(
    RepaymentMethod::EqualInstalment,
    100,
    481,
    "2025-01-15",
    ScheduleError::TermTooLong
)]
#[case::past_9999(
    RepaymentMethod::EqualInstalment,
    100,
    480,
    "9980-01-01",
    ScheduleError::DateOutOfRange
)]
#[case::bullet_past_9999(
    RepaymentMethod::Bullet,
    100,
    1,
    "9999-12-15",
    ScheduleError::DateOutOfRange
)]
fn build_schedule_refuses(
    #[case] method: RepaymentMethod,
    #[case] principal: i64,
    #[case] months: u32,
    #[case] start: &str,
    #[case] err: ScheduleError,
) {
    assert_eq!(
        build_schedule(method, Fen(principal), rate(490), months, date(start)),
        Err(err)
    );
}

#[rstest]
#[case(0, 12, ScheduleError::NonPositivePrincipal)]
#[case(MAX_PRINCIPAL.get() + 1, 12, ScheduleError::PrincipalTooLarge)]
#[case(100, 0, ScheduleError::ZeroTerm)]
#[case(100, 481, ScheduleError::TermTooLong)]
fn payment_refuses(#[case] principal: i64, #[case] months: u32, #[case] err: ScheduleError) {
    assert_eq!(
        equal_instalment_payment(Fen(principal), rate(490), months),
        Err(err)
    );
}

#[test]
fn largest_inputs_do_not_overflow() {
    for method in [
        RepaymentMethod::EqualInstalment,
        RepaymentMethod::EqualPrincipal,
        RepaymentMethod::InterestOnly,
        RepaymentMethod::Bullet,
    ] {
        let s = schedule(method, MAX_PRINCIPAL.get(), 9999, MAX_TERM_MONTHS);
        let t = totals(&s);
        assert_eq!(t.principal, MAX_PRINCIPAL, "{method:?}");
        assert!(t.interest > MAX_PRINCIPAL, "{method:?}");
    }
}

#[test]
fn error_codes() {
    let codes = [
        (
            ScheduleError::NonPositivePrincipal,
            "schedule_non_positive_principal",
        ),
        (ScheduleError::ZeroTerm, "schedule_zero_term"),
        (ScheduleError::TermTooLong, "schedule_term_too_long"),
        (ScheduleError::NoFixedSchedule, "schedule_no_fixed_schedule"),
        (
            ScheduleError::PrincipalTooLarge,
            "schedule_principal_too_large",
        ),
        (ScheduleError::DateOutOfRange, "schedule_date_out_of_range"),
    ];
    for (e, code) in codes {
        assert_eq!(e.code().as_str(), code);
    }
}

#[test]
fn method_names_round_trip() {
    let names: Vec<&str> = RepaymentMethod::ALL.iter().map(|m| m.as_str()).collect();
    assert_eq!(
        names,
        [
            "equal_instalment",
            "equal_principal",
            "interest_only",
            "bullet",
            "revolving"
        ]
    );
    for m in RepaymentMethod::ALL {
        assert_eq!(RepaymentMethod::parse(m.as_str()), Some(m));
        let json = serde_json::to_string(&m).ok();
        assert_eq!(json, Some(format!("\"{}\"", m.as_str())));
    }
    assert_eq!(RepaymentMethod::parse("EqualInstalment"), None);
}

// ---------------------------------------------------------------------------
// Properties

const SCHEDULED: [RepaymentMethod; 4] = [
    RepaymentMethod::EqualInstalment,
    RepaymentMethod::EqualPrincipal,
    RepaymentMethod::InterestOnly,
    RepaymentMethod::Bullet,
];

fn any_start() -> impl Strategy<Value = Date> {
    let lo = date("1950-01-01").days_since_epoch();
    let hi = date("2100-12-31").days_since_epoch();
    (lo..=hi).prop_map(Date::from_days_since_epoch)
}

/// Any accepted input, tiny and huge principals included.
fn any_loan() -> impl Strategy<Value = (i64, u32, u32)> {
    let principal = prop_oneof![
        1i64..=1_000,
        1i64..=100_000_000_000,
        1i64..=MAX_PRINCIPAL.get()
    ];
    (principal, 1u32..=9999, 1u32..=MAX_TERM_MONTHS)
}

/// Loans where half a fen of payment rounding cannot compound past the last
/// instalment: up to 5 years at up to 24 %, or up to 40 years at up to 6 %, from
/// 1,000 / 10,000 yuan. (No early payoff needs P·v/a_n ≥ s_(n−1); the worst
/// corners need about 40 and 3,700 yuan.)
fn amortising_loan() -> impl Strategy<Value = (i64, u32, u32)> {
    prop_oneof![
        (100_000i64..=10_000_000_000, 100u32..=2400, 1u32..=60),
        (
            1_000_000i64..=10_000_000_000,
            1u32..=600,
            1u32..=MAX_TERM_MONTHS
        ),
    ]
}

/// s_n = ((1+r)^n − 1) / r, the accumulation factor; f64 reference only.
fn accumulation(bp: u32, n: u32) -> f64 {
    let r = f64::from(bp) / 120_000.0;
    ((1.0 + r).powf(f64::from(n)) - 1.0) / r
}

/// The unrounded annuity; f64 reference only.
fn closed_form_payment(p: i64, bp: u32, n: u32) -> f64 {
    let r = f64::from(bp) / 120_000.0;
    let f = (1.0 + r).powf(f64::from(n));
    p as f64 * r * f / (f - 1.0)
}

fn build(
    method: RepaymentMethod,
    p: i64,
    bp: u32,
    n: u32,
    start: Date,
) -> Result<Vec<Instalment>, TestCaseError> {
    build_schedule(method, Fen(p), AnnualRate::from_bp(bp)?, n, start)
        .map_err(|e| TestCaseError::fail(format!("{method:?} {p} {bp} {n} {start}: {e}")))
}

fn total_interest(s: &[Instalment]) -> f64 {
    totals(s).interest.get() as f64
}

proptest! {
    /// Principal parts sum exactly to the principal; the balance never rises and
    /// ends at zero; every row adds up; due dates strictly increase, monthly.
    #[test]
    fn every_schedule_is_consistent((p, bp, n) in any_loan(), start in any_start()) {
        for method in SCHEDULED {
            let s = build(method, p, bp, n, start)?;
            let expected_len = if method == RepaymentMethod::Bullet { 1 } else { n as usize };
            prop_assert_eq!(s.len(), expected_len);
            prop_assert_eq!(s.iter().map(|i| i.principal).sum::<Fen>(), Fen(p));
            let mut balance = Fen(p);
            for (k, i) in s.iter().enumerate() {
                prop_assert_eq!(i.n as usize, k + 1);
                prop_assert!(i.principal >= Fen::ZERO && i.interest >= Fen::ZERO);
                prop_assert_eq!(i.payment, i.principal + i.interest);
                prop_assert!(i.balance <= balance, "balance rose at {}", i.n);
                prop_assert_eq!(i.balance, balance - i.principal);
                balance = i.balance;
            }
            prop_assert_eq!(balance, Fen::ZERO);
            for w in s.windows(2) {
                prop_assert!(w[0].due_date < w[1].due_date);
            }
            let first_due = if method == RepaymentMethod::Bullet { n } else { 1 };
            prop_assert_eq!(s[0].due_date, start.add_months(first_due));
            prop_assert_eq!(s[s.len() - 1].due_date, start.add_months(n));
            let t = totals(&s);
            prop_assert_eq!(t.principal, Fen(p));
            prop_assert_eq!(t.payment, t.principal + t.interest);
        }
    }

    /// Interest rounding never moves the balance for these methods, so the error
    /// against the closed form is at most half a fen per period.
    #[test]
    fn fixed_balance_methods_interest_within_half_a_fen_per_period(
        (p, bp, n) in any_loan(),
        start in any_start(),
    ) {
        let r = f64::from(bp) / 120_000.0;
        let (pf, nf) = (p as f64, f64::from(n));
        let q = (p / i64::from(n)) as f64;
        let cases = [
            // Σ r·(P − (k−1)·floor(P/n)) for k = 1..=n.
            (RepaymentMethod::EqualPrincipal, r * (nf * pf - q * nf * (nf - 1.0) / 2.0), nf),
            (RepaymentMethod::InterestOnly, nf * pf * r, nf),
            (RepaymentMethod::Bullet, pf * r * nf, 1.0),
        ];
        for (method, closed, periods) in cases {
            let s = build(method, p, bp, n, start)?;
            let err = (total_interest(&s) - closed).abs();
            prop_assert!(err <= 0.5 * periods + 1e-9 * closed.max(1.0),
                "{:?}: off by {} fen over {} periods", method, err, periods);
        }
    }

    /// The level payment (fast path, or the exact fraction near a tie) equals the
    /// exact big-integer fraction.
    #[test]
    fn annuity_equals_the_exact_fraction((p, bp, n) in any_loan()) {
        let p = p.unsigned_abs();
        prop_assert_eq!(annuity(p, bp, n), exact_annuity(p, bp, n));
    }

    /// Equal instalment: every payment but the last equals the level payment.
    #[test]
    fn equal_instalments_are_equal((p, bp, n) in amortising_loan(), start in any_start()) {
        let s = build(RepaymentMethod::EqualInstalment, p, bp, n, start)?;
        let level = equal_instalment_payment(Fen(p), AnnualRate::from_bp(bp)?, n)?;
        for i in &s[..s.len() - 1] {
            prop_assert_eq!(i.payment, level, "instalment {}", i.n);
        }
        let closed = closed_form_payment(p, bp, n);
        prop_assert!((level.get() as f64 - closed).abs() <= 0.5 + 1e-9 * closed);
    }

    /// Equal instalment, total interest against n·A − P. Rounding the payment by
    /// δ and each interest by ε_k gives an error of exactly
    /// δ·(n − s_n) + Σ ε_k·(1+r)^(n−k), so at most s_n − n/2 fen: one fen per
    /// period while s_n ≤ 1.5·n, and more once rounding compounds over long terms.
    #[test]
    fn equal_instalment_interest_within_compounded_rounding(
        (p, bp, n) in amortising_loan(),
        start in any_start(),
    ) {
        let s = build(RepaymentMethod::EqualInstalment, p, bp, n, start)?;
        let closed = f64::from(n) * closed_form_payment(p, bp, n) - p as f64;
        let bound = accumulation(bp, n) - f64::from(n) / 2.0;
        let err = (total_interest(&s) - closed).abs();
        prop_assert!(err <= bound + 1e-6 * closed.max(1.0), "off by {} fen, bound {}", err, bound);
    }

    /// Equal instalment: within one fen per period of the closed form wherever
    /// compounding cannot add up (s_n ≤ 1.5·n, e.g. up to 15 years at 4.90 %).
    #[test]
    fn equal_instalment_interest_within_one_fen_per_period(
        (p, bp, n) in (1_000_000i64..=10_000_000_000, 1u32..=9999).prop_flat_map(|(p, bp)| {
            let max_n = (1..=MAX_TERM_MONTHS)
                .take_while(|&n| accumulation(bp, n) <= 1.5 * f64::from(n))
                .last()
                .unwrap_or(1);
            (Just(p), Just(bp), 1..=max_n)
        }),
        start in any_start(),
    ) {
        let s = build(RepaymentMethod::EqualInstalment, p, bp, n, start)?;
        let closed = f64::from(n) * closed_form_payment(p, bp, n) - p as f64;
        let err = (total_interest(&s) - closed).abs();
        prop_assert!(err <= f64::from(n) + 1e-6 * closed.max(1.0), "off by {} fen over {} periods", err, n);
    }
}
