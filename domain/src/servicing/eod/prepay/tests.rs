use super::*;
use crate::rate::AnnualRate;
use crate::schedule::build_schedule;
use crate::servicing::ledger::{Account, AllocationOrder, PostingKind};
use proptest::prelude::*;

fn date(s: &str) -> Date {
    Date::parse(s).unwrap_or(Date::EPOCH)
}

fn rate(bp: u32) -> AnnualRate {
    AnnualRate::from_bp(bp).unwrap_or_else(|e| panic!("{e}"))
}

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn loan(method: RepaymentMethod, p: i64, bp: u32, n: u32, start: &str) -> (LoanState, LoanTerms) {
    let rows = build_schedule(method, Fen(p), rate(bp), n, date(start)).unwrap_or_default();
    let (s, _) = LoanState::disburse("L1", rate(bp), Fen(p), &rows, date(start))
        .unwrap_or_else(|e| panic!("{e}"));
    (
        s,
        LoanTerms {
            method,
            value_date: date(start),
        },
    )
}

/// 12,000 yuan over 12 months at 3.60 %, equal principal: 1,000 yuan a month,
/// 1.20 yuan of interest a night at first.
fn twelve_months() -> (LoanState, LoanTerms) {
    loan(
        RepaymentMethod::EqualPrincipal,
        1_200_000,
        360,
        12,
        "2025-01-15",
    )
}

fn rules() -> EodRules {
    EodRules::default()
}

fn net(postings: &[Posting], a: Account) -> Fen {
    postings.iter().map(|p| p.net(a)).sum()
}

#[test]
fn a_payoff_collects_all_principal_and_interest_to_the_day_and_settles() {
    let (s, terms) = twelve_months();
    // Ten nights, 15 to 24 January, at 1.20 yuan; the 25th is not charged.
    let done = s
        .prepay(
            PrepaymentRequest::Payoff,
            terms,
            &rules(),
            key("k1"),
            date("2025-01-25"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let q = &done.quote;
    assert!(q.payoff);
    assert_eq!(
        (q.principal, q.interest, q.total),
        (Fen(1_200_000), Fen(1_200), Fen(1_201_200))
    );
    assert!(q.after.is_empty());
    assert_eq!(q.before.len(), 12);
    // The twelve months' scheduled interest (23,400 fen) less what is paid now.
    assert_eq!(q.interest_saved, Fen(23_400 - 1_200));
    let st = &done.state;
    assert_eq!(st.status, LoanStatus::Settled);
    assert_eq!(
        (
            st.principal_outstanding,
            st.interest_receivable,
            st.period_accrued
        ),
        (Fen::ZERO, Fen::ZERO, Fen::ZERO)
    );
    assert!(st.schedule.is_empty());
    assert_eq!(st.last_processed, date("2025-01-24"));
    // The ten nights the batch had not run, then the prepayment.
    assert_eq!(done.postings.len(), 11);
    let last = &done.postings[10];
    assert_eq!(
        (last.kind, last.business_date),
        (PostingKind::Repayment, date("2025-01-25"))
    );
    assert_eq!(net(&done.postings, Account::InterestReceivable), Fen::ZERO);
    assert_eq!(net(&done.postings, Account::Settlement), Fen(1_201_200));
    // The quote is the same sum.
    let quote = s
        .prepayment_quote(
            PrepaymentRequest::Payoff,
            terms,
            &rules(),
            date("2025-01-25"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&quote, q);
}

#[test]
fn a_partial_prepayment_shortens_the_term_and_keeps_the_part() {
    let (s, terms) = twelve_months();
    let (s, _) = catch_up(&s, date("2025-02-15"), &rules()).unwrap_or_else(|e| panic!("{e}"));
    let due = s
        .dues()
        .unwrap_or_else(|e| panic!("{e}"))
        .total()
        .unwrap_or_default();
    let (s, _) = s
        .repay(
            due,
            AllocationOrder::default(),
            key("due1"),
            date("2025-02-15"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let request = PrepaymentRequest::Partial {
        principal: Fen(300_000),
        mode: PrepaymentMode::ShortenTerm,
    };
    let done = s
        .prepay(request, terms, &rules(), key("k2"), date("2025-02-20"))
        .unwrap_or_else(|e| panic!("{e}"));
    let q = &done.quote;
    // Nights 15 to 19 February on 11,000 yuan at 1.10 yuan: 5.50 yuan, of
    // which 3,000 / 11,000 goes with the prepaid principal.
    assert_eq!(
        (q.principal, q.interest, q.total),
        (Fen(300_000), Fen(150), Fen(300_150))
    );
    assert_eq!((q.before.len(), q.after.len()), (11, 8));
    assert!(!q.payoff);
    for (new, old) in q.after.iter().zip(&q.before) {
        assert_eq!(
            (new.n, new.due_date, new.principal),
            (old.n, old.due_date, Fen(100_000))
        );
    }
    assert_eq!(
        q.after.iter().map(|i| i.principal).sum::<Fen>(),
        Fen(800_000)
    );
    let st = &done.state;
    assert_eq!(st.principal_outstanding, Fen(800_000));
    assert_eq!(st.status, LoanStatus::Normal);
    assert_eq!(st.interest_receivable, Fen(550 - 150));
    assert_eq!(st.interest_receivable, st.period_accrued);
    assert_eq!(st.schedule.len(), 1 + 8);
}

#[test]
fn a_partial_prepayment_can_lower_the_instalment_instead() {
    let (s, terms) = loan(
        RepaymentMethod::EqualInstalment,
        1_200_000,
        435,
        12,
        "2025-01-15",
    );
    let request = PrepaymentRequest::Partial {
        principal: Fen(600_000),
        mode: PrepaymentMode::LowerInstalment,
    };
    let q = s
        .prepayment_quote(request, terms, &rules(), date("2025-01-16"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(q.after.len(), 12);
    assert!(q.after[0].payment < q.before[0].payment);
    assert!(q.interest_saved > Fen::ZERO);
}

#[test]
fn a_partial_prepayment_of_the_whole_balance_is_a_payoff() {
    let (s, terms) = twelve_months();
    let request = PrepaymentRequest::Partial {
        principal: Fen(1_200_000),
        mode: PrepaymentMode::ShortenTerm,
    };
    let q = s
        .prepayment_quote(request, terms, &rules(), date("2025-01-25"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(q.payoff);
    assert_eq!(q.total, Fen(1_201_200));
}

#[test]
fn refusals() {
    let (s, terms) = twelve_months();
    let partial = |p: i64| PrepaymentRequest::Partial {
        principal: Fen(p),
        mode: PrepaymentMode::ShortenTerm,
    };
    let quote = |s: &LoanState, r, on: &str| s.prepayment_quote(r, terms, &rules(), date(on)).err();
    assert_eq!(
        quote(&s, partial(0), "2025-01-20"),
        Some(EodError::Prepayment(PrepaymentError::AmountNotPositive))
    );
    assert_eq!(
        quote(&s, partial(1_200_001), "2025-01-20"),
        Some(EodError::Prepayment(PrepaymentError::ExceedsBalance {
            balance: Fen(1_200_000)
        }))
    );
    // On the due date the instalment is not payable yet: the day after.
    assert_eq!(
        quote(&s, partial(100), "2025-02-15"),
        Some(EodError::Prepayment(PrepaymentError::DateOutsidePeriod))
    );
    // The day after, the instalment is due and must be repaid first.
    assert_eq!(
        quote(&s, partial(100), "2025-02-16"),
        Some(EodError::DuesFirst)
    );
    assert_eq!(
        quote(&s, PrepaymentRequest::Payoff, "2025-02-16"),
        Some(EodError::DuesFirst)
    );
    // A day the batch has run.
    let (ran, _) = catch_up(&s, date("2025-01-20"), &rules()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        quote(&ran, partial(100), "2025-01-20"),
        Some(EodError::DateBeforeLastProcessed)
    );
    // Bullet: payoff only.
    let (b, bt) = loan(RepaymentMethod::Bullet, 1_000_000, 360, 6, "2025-01-15");
    assert_eq!(
        b.prepayment_quote(partial(100), bt, &rules(), date("2025-02-01"))
            .err(),
        Some(EodError::Prepayment(PrepaymentError::NotAmortising))
    );
    let q = b
        .prepayment_quote(PrepaymentRequest::Payoff, bt, &rules(), date("2025-02-01"))
        .unwrap_or_else(|e| panic!("{e}"));
    // 17 nights on 10,000 yuan at 1.00 yuan.
    assert_eq!((q.principal, q.interest), (Fen(1_000_000), Fen(1_700)));
    // Interest-only loans keep the term.
    let (io, it) = loan(
        RepaymentMethod::InterestOnly,
        1_000_000,
        360,
        6,
        "2025-01-15",
    );
    assert_eq!(
        io.prepayment_quote(partial(100), it, &rules(), date("2025-02-01"))
            .err(),
        Some(EodError::Prepayment(PrepaymentError::ModeNotSupported))
    );
    // A settled loan.
    let done = s
        .prepay(
            PrepaymentRequest::Payoff,
            terms,
            &rules(),
            key("k"),
            date("2025-01-20"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        done.state
            .prepayment_quote(
                PrepaymentRequest::Payoff,
                terms,
                &rules(),
                date("2025-01-21")
            )
            .err(),
        Some(EodError::LoanClosed)
    );
    assert_eq!(
        EodError::DuesFirst.code(),
        crate::error_code::ErrorCode::PrepaymentDuesFirst
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// After any partial prepayment in the first period, paying each
    /// instalment as it falls due settles the loan on its last due date:
    /// the principal collected is exactly the loan's, the ledger balances
    /// follow the state throughout, and the interest paid over the life is
    /// not above the original schedule's.
    #[test]
    fn a_prepaid_loan_runs_to_settlement(
        method in proptest::sample::select(vec![RepaymentMethod::EqualInstalment, RepaymentMethod::EqualPrincipal, RepaymentMethod::InterestOnly]),
        p in 10_000i64..=100_000_000,
        bp in 1u32..=2400,
        n in 2u32..=24,
        day in 1i64..=27,
        share in 1i64..=99,
        shorten in any::<bool>(),
    ) {
        let start = date("2025-03-10");
        let rows = build_schedule(method, Fen(p), rate(bp), n, start)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let scheduled_interest: Fen = rows.iter().map(|i| i.interest).sum();
        let (s, disbursed) = LoanState::disburse("P", rate(bp), Fen(p), &rows, start)?;
        let terms = LoanTerms { method, value_date: start };
        let mode = if shorten && method != RepaymentMethod::InterestOnly {
            PrepaymentMode::ShortenTerm
        } else {
            PrepaymentMode::LowerInstalment
        };
        let request = PrepaymentRequest::Partial { principal: Fen(p * share / 100).max(Fen(1)), mode };
        let done = s.prepay(request, terms, &rules(), key("pre"), start.add_days(day))?;
        let mut postings = vec![disbursed];
        postings.extend(done.postings);
        let mut s = done.state;
        let last_due = s.schedule.last().map(|i| i.instalment.due_date);
        let mut k = 0;
        while !matches!(s.status, LoanStatus::Settled) {
            let (next, mut ps) = catch_up(&s, s.last_processed.add_days(1), &rules())?;
            s = next;
            postings.append(&mut ps);
            let due = s.dues()?.total()?;
            if due > Fen::ZERO {
                k += 1;
                let (next, p) = s.repay(due, AllocationOrder::default(), key(&format!("d{k}")), s.last_processed)?;
                s = next;
                postings.push(p);
            }
            let net = |a| postings.iter().map(|p| p.net(a)).sum::<Fen>();
            prop_assert_eq!(net(Account::LoanPrincipal), s.principal_outstanding);
            prop_assert_eq!(net(Account::InterestReceivable), s.interest_receivable);
            prop_assert!(s.last_processed <= start.add_months(n + 1));
        }
        prop_assert_eq!(Some(s.last_processed), last_due);
        let collected = |a| -postings.iter().filter(|p| p.kind == PostingKind::Repayment).map(|p| p.net(a)).sum::<Fen>().get();
        prop_assert_eq!(collected(Account::LoanPrincipal), p);
        prop_assert!(Fen(collected(Account::InterestReceivable)) <= scheduled_interest);
    }
}

/// What the pages offer is what the quote accepts, method by method.
#[test]
fn the_kinds_offered_are_the_kinds_that_quote() {
    for method in [
        RepaymentMethod::EqualInstalment,
        RepaymentMethod::EqualPrincipal,
        RepaymentMethod::InterestOnly,
        RepaymentMethod::Bullet,
    ] {
        let (s, terms) = loan(method, 1_200_000, 360, 12, "2025-01-15");
        for kind in PrepaymentKind::ALL {
            let quoted = s
                .prepayment_quote(
                    kind.request(Fen(100_000)),
                    terms,
                    &rules(),
                    date("2025-01-20"),
                )
                .is_ok();
            let offered = PrepaymentKind::offered_for(method).contains(&kind);
            assert_eq!(quoted, offered, "{} {}", method.as_str(), kind.as_str());
        }
    }
    assert!(PrepaymentKind::offered_for(RepaymentMethod::Revolving).is_empty());
}
