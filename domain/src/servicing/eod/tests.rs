use super::*;
use crate::schedule::{build_schedule, RepaymentMethod};
use crate::servicing::ledger::Account;
use proptest::prelude::*;
use rstest::rstest;

fn date(s: &str) -> Date {
    Date::parse(s).unwrap_or(Date::EPOCH)
}

fn rate(bp: u32) -> AnnualRate {
    AnnualRate::from_bp(bp).unwrap_or_else(|e| panic!("{e}"))
}

fn loan(method: RepaymentMethod, p: i64, bp: u32, n: u32, start: &str) -> (LoanState, Posting) {
    let rows = build_schedule(method, Fen(p), rate(bp), n, date(start)).unwrap_or_default();
    LoanState::disburse("L1", rate(bp), Fen(p), &rows, date(start))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &LoanState, to: &str) -> (LoanState, Vec<Posting>) {
    run_day(s, date(to), &EodRules::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn total(postings: &[Posting], kind: PostingKind, account: Account) -> Fen {
    postings
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| p.net(account))
        .sum()
}

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// 12,000 yuan over 12 months at 3.60 %, equal principal: 1,000 yuan a month,
/// 1.20 yuan of interest a day at first.
fn twelve_months() -> LoanState {
    loan(
        RepaymentMethod::EqualPrincipal,
        1_200_000,
        360,
        12,
        "2025-01-15",
    )
    .0
}

#[test]
fn accrues_daily_then_trues_up_to_the_schedule_on_the_due_date() {
    let s = twelve_months();
    assert_eq!(s.last_processed, date("2025-01-14"));
    let (s, p) = run(&s, "2025-02-14");
    // 31 nights (15 January to 14 February) at 120 fen.
    assert_eq!(p.len(), 31);
    assert_eq!(s.interest_receivable, Fen(3720));
    let (s, p) = run(&s, "2025-02-15");
    // The schedule says 36.00 yuan (a month is 1/12 of a year): 1.20 yuan back,
    // then tonight's accrual on the 11,000 yuan not yet due.
    let kinds: Vec<(PostingKind, Fen)> = p
        .iter()
        .map(|p| (p.kind, p.net(Account::InterestReceivable)))
        .collect();
    assert_eq!(
        kinds,
        [
            (PostingKind::InterestAdjustment, Fen(-120)),
            (PostingKind::InterestAccrual, Fen(110))
        ]
    );
    assert_eq!(s.interest_receivable, Fen(3600 + 110));
    assert_eq!(
        s.dues().ok(),
        Some(Dues {
            penalty: Fen::ZERO,
            interest: Fen(3600),
            principal: Fen(100_000)
        })
    );
    assert_eq!((s.dpd, s.status), (0, LoanStatus::Normal));
}

#[test]
fn overdue_penalty_dpd_classification_and_back_to_normal() {
    let (s, _) = run(&twelve_months(), "2025-02-15");
    let (s, p) = run(&s, "2025-02-16");
    assert_eq!(
        (s.dpd, s.status, s.classification),
        (1, LoanStatus::Overdue, Classification::SpecialMention)
    );
    // 1,000 yuan overdue at 3.60 % × 1.5 = 5.40 % a year: 0.15 yuan a night.
    assert_eq!(
        total(&p, PostingKind::PenaltyAccrual, Account::PenaltyReceivable),
        Fen(15)
    );
    let (s, _) = run(&s, "2025-05-16");
    // 2025-02-15 to 2025-05-16 is 90 days; by then three instalments are overdue.
    assert_eq!(
        (s.dpd, s.classification),
        (90, Classification::SpecialMention)
    );
    let (s, _) = run(&s, "2025-05-17");
    assert_eq!((s.dpd, s.classification), (91, Classification::Substandard));
    assert!(s.classification.is_npl());
    // Paying everything due brings it back to Normal; the batch then re-classifies.
    let due = s
        .dues()
        .map(|d| d.total())
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let (paid, posting) = s
        .repay(
            due,
            AllocationOrder::default(),
            key("pay-1"),
            date("2025-05-17"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(posting.total(), due);
    assert_eq!(
        (paid.dpd, paid.status, paid.penalty_receivable),
        (0, LoanStatus::Normal, Fen::ZERO)
    );
    let (next, _) = run(&paid, "2025-05-18");
    assert_eq!(
        (next.classification, next.status),
        (Classification::Pass, LoanStatus::Normal)
    );
}

#[test]
fn partial_payment_pays_penalty_then_interest_then_oldest_principal() {
    let (s, _) = run(&twelve_months(), "2025-03-20");
    let due = s.dues().unwrap_or_default();
    assert_eq!(due.principal, Fen(200_000));
    let amount = due.penalty + due.interest + Fen(100_000);
    let (s, _) = s
        .repay(
            amount,
            AllocationOrder::default(),
            key("pay-2"),
            date("2025-03-20"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(s.schedule[0].is_paid());
    assert_eq!(s.schedule[1].unpaid_principal(), Fen(100_000));
    // The oldest unpaid due date is now 15 March.
    assert_eq!((s.dpd, s.status), (5, LoanStatus::Overdue));
}

#[test]
fn a_date_already_processed_is_a_no_op_and_reruns_give_the_same_keys() {
    let (s, _) = run(&twelve_months(), "2025-02-20");
    let (again, p) = run(&s, "2025-02-20");
    assert_eq!((&again, p.len()), (&s, 0));
    let (again, p) = run(&s, "2025-01-01");
    assert_eq!((&again, p.len()), (&s, 0));
    let (a, pa) = run(&s, "2025-02-21");
    let (b, pb) = run(&s, "2025-02-21");
    assert_eq!((a, &pa), (b, &pb));
    let keys: Vec<&str> = pa.iter().map(|p| p.idempotency_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "L1:2025-02-21:interest_accrual",
            "L1:2025-02-21:penalty_accrual"
        ]
    );
}

#[test]
fn bullet_interest_recognised_equals_the_contract_and_settles() {
    // 10,000 yuan for 6 months at 4.35 %: 217.50 yuan at maturity.
    let (s, _) = loan(RepaymentMethod::Bullet, 1_000_000, 435, 6, "2025-01-31");
    let (s, p) = run(&s, "2025-07-31");
    let recognised = total(
        &p,
        PostingKind::InterestAccrual,
        Account::InterestReceivable,
    ) + total(
        &p,
        PostingKind::InterestAdjustment,
        Account::InterestReceivable,
    );
    assert_eq!(recognised, Fen(21_750));
    assert_eq!(s.interest_receivable, Fen(21_750));
    let (s, _) = s
        .repay(
            Fen(1_021_750),
            AllocationOrder::default(),
            key("pay"),
            date("2025-07-31"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.status, LoanStatus::Settled);
    let (after, p) = run(&s, "2025-12-31");
    assert_eq!((after.status, p.len()), (LoanStatus::Settled, 0));
}

#[test]
fn revolving_balance_accrues_without_schedule() {
    let (s, _) = LoanState::disburse("R1", rate(360), Fen(1_000_000), &[], date("2025-01-01"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (s, p) = run(&s, "2025-01-30");
    assert_eq!((s.interest_receivable, p.len(), s.dpd), (Fen(3000), 30, 0));
}

#[test]
fn write_off_clears_receivables_and_stops_accrual() {
    let (s, _) = run(&twelve_months(), "2025-09-01");
    let (w, p) = s
        .write_off(date("2025-09-01"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p.net(Account::LoanPrincipal),
        Fen(0) - s.principal_outstanding
    );
    assert_eq!(
        p.total(),
        s.principal_outstanding + s.interest_receivable + s.penalty_receivable
    );
    assert_eq!(
        (w.status, w.classification),
        (LoanStatus::WrittenOff, Classification::Loss)
    );
    let (after, p) = run(&w, "2025-10-01");
    assert_eq!((p.len(), after.principal_outstanding), (0, Fen::ZERO));
    assert_eq!(
        w.write_off(date("2025-10-01")).err(),
        Some(EodError::LoanClosed)
    );
}

#[rstest]
#[case(0, Classification::Pass)]
#[case(1, Classification::SpecialMention)]
#[case(90, Classification::SpecialMention)]
#[case(91, Classification::Substandard)]
#[case(180, Classification::Substandard)]
#[case(181, Classification::Doubtful)]
#[case(360, Classification::Doubtful)]
#[case(361, Classification::Loss)]
#[case(u32::MAX, Classification::Loss)]
fn default_thresholds(#[case] dpd: u32, #[case] expected: Classification) {
    assert_eq!(ClassificationThresholds::default().classify(dpd), expected);
}

#[test]
fn thresholds_and_penalty_are_configurable() {
    let strict = EodRules {
        penalty_multiplier_permille: 1300,
        thresholds: ClassificationThresholds {
            special_mention_from: 1,
            substandard_from: 31,
            doubtful_from: 61,
            loss_from: 91,
        },
    };
    let (s, _) = run(&twelve_months(), "2025-02-15");
    let (s, p) = run_day(&s, date("2025-03-18"), &strict).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.dpd, s.classification), (31, Classification::Substandard));
    // 1.3 × 3.60 % on 1,000 yuan for 30 nights before the second instalment is due,
    // then on 2,000 yuan for 3 nights: 0.13 and 0.26 yuan a night.
    assert_eq!(
        total(&p, PostingKind::PenaltyAccrual, Account::PenaltyReceivable),
        Fen(28 * 13 + 3 * 26)
    );
    let floor = LoanState {
        min_classification: Classification::Substandard,
        ..twelve_months()
    };
    let (f, _) = run(&floor, "2025-01-20");
    assert_eq!((f.dpd, f.classification), (0, Classification::Substandard));
}

#[rstest]
#[case(999, EodError::PenaltyMultiplierOutOfRange)]
#[case(10_001, EodError::PenaltyMultiplierOutOfRange)]
fn bad_rules_are_refused(#[case] permille: u32, #[case] err: EodError) {
    let rules = EodRules {
        penalty_multiplier_permille: permille,
        ..EodRules::default()
    };
    assert_eq!(
        run_day(&twelve_months(), date("2025-02-01"), &rules).err(),
        Some(err)
    );
    let bad = EodRules {
        thresholds: ClassificationThresholds {
            substandard_from: 1,
            ..ClassificationThresholds::default()
        },
        ..EodRules::default()
    };
    assert_eq!(bad.validate(), Err(EodError::ThresholdsNotIncreasing));
}

#[test]
fn refusals_and_codes() {
    let rows = build_schedule(
        RepaymentMethod::EqualPrincipal,
        Fen(100),
        rate(360),
        2,
        date("2025-01-15"),
    )
    .unwrap_or_default();
    assert_eq!(
        LoanState::disburse("L", rate(360), Fen(101), &rows, date("2025-01-15")).err(),
        Some(EodError::ScheduleMismatch)
    );
    assert_eq!(
        LoanState::disburse("a b", rate(360), Fen(100), &rows, date("2025-01-15")).err(),
        Some(EodError::Ledger(LedgerError::KeyInvalid))
    );
    let (s, _) = run(&twelve_months(), "2025-02-20");
    assert_eq!(
        s.repay(
            Fen(1),
            AllocationOrder::default(),
            key("k"),
            date("2025-02-19")
        )
        .err(),
        Some(EodError::DateBeforeLastProcessed)
    );
    assert_eq!(
        s.repay(
            Fen(10_000_000),
            AllocationOrder::default(),
            key("k"),
            date("2025-02-20")
        )
        .err()
        .map(|e| e.code()),
        Some(ErrorCode::LedgerExceedsOutstanding)
    );
    let codes = [
        (
            EodError::PenaltyMultiplierOutOfRange,
            "eod_penalty_multiplier_out_of_range",
        ),
        (
            EodError::ThresholdsNotIncreasing,
            "eod_thresholds_not_increasing",
        ),
        (EodError::ScheduleMismatch, "eod_schedule_mismatch"),
        (EodError::Overflow, "eod_overflow"),
        (
            EodError::DateBeforeLastProcessed,
            "eod_date_before_last_processed",
        ),
        (EodError::LoanClosed, "eod_loan_closed"),
        (EodError::NothingToWriteOff, "eod_nothing_to_write_off"),
    ];
    for (e, c) in codes {
        assert_eq!(e.code().as_str(), c);
    }
}

// ---------------------------------------------------------------------------
// Properties

fn any_loan() -> impl Strategy<Value = (RepaymentMethod, i64, u32, u32, Date)> {
    (
        proptest::sample::select(RepaymentMethod::ALL[..4].to_vec()),
        1i64..=100_000_000,
        1u32..=2400,
        1u32..=24,
        (0i64..=3650).prop_map(|d| date("2020-01-01").add_days(d)),
    )
}

fn start_loan(
    (method, p, bp, n, start): (RepaymentMethod, i64, u32, u32, Date),
) -> Result<(LoanState, Posting), TestCaseError> {
    let rows = build_schedule(method, Fen(p), rate(bp), n, start)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    LoanState::disburse("P1", rate(bp), Fen(p), &rows, start)
        .map_err(|e| TestCaseError::fail(e.to_string()))
}

/// A business event between batches: run to a day, or pay a fraction of what is due.
#[derive(Debug, Clone)]
enum Event {
    Run(i64),
    Pay(u8),
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Catching up N days equals running the N days one at a time, postings included.
    #[test]
    fn catch_up_equals_single_days(loan in any_loan(), days in 0i64..=500) {
        let (s, _) = start_loan(loan)?;
        let rules = EodRules::default();
        let to = s.last_processed.add_days(days);
        let (bulk, bulk_p) = catch_up(&s, to, &rules)?;
        let mut one = s.clone();
        let mut one_p = Vec::new();
        for d in 1..=days {
            let (next, mut p) = run_day(&one, s.last_processed.add_days(d), &rules)?;
            one = next;
            one_p.append(&mut p);
        }
        prop_assert_eq!(&bulk, &one);
        prop_assert_eq!(bulk_p, one_p);
        prop_assert_eq!(bulk.last_processed, to);
    }

    /// Through any run of batches and repayments: every posting is balanced and
    /// keyed uniquely, the ledger's balances equal the loan's, no balance goes
    /// negative, and the interest receivable is what is due plus this period's
    /// accrual.
    #[test]
    fn ledger_reconciles_with_the_loan(
        loan in any_loan(),
        events in proptest::collection::vec(
            prop_oneof![3 => (1i64..=45).prop_map(Event::Run), 1 => (1u8..=100).prop_map(Event::Pay)],
            1..25,
        ),
    ) {
        let (mut s, disbursement) = start_loan(loan)?;
        let mut postings = vec![disbursement];
        for (k, e) in events.iter().enumerate() {
            match *e {
                Event::Run(days) => {
                    let (next, mut p) = run_day(&s, s.last_processed.add_days(days), &EodRules::default())?;
                    s = next;
                    postings.append(&mut p);
                }
                Event::Pay(pct) => {
                    let due = s.dues()?.total()?;
                    let amount = Fen(due.get() * i64::from(pct) / 100);
                    if amount > Fen::ZERO && !matches!(s.status, LoanStatus::Settled) {
                        let (next, p) = s.repay(amount, AllocationOrder::default(), key(&format!("pay-{k}")), s.last_processed)?;
                        s = next;
                        postings.push(p);
                    }
                }
            }
            for p in &postings {
                p.validate()?;
            }
            let net = |a| postings.iter().map(|p| p.net(a)).sum::<Fen>();
            prop_assert_eq!(net(Account::LoanPrincipal), s.principal_outstanding);
            prop_assert_eq!(net(Account::InterestReceivable), s.interest_receivable);
            prop_assert_eq!(net(Account::PenaltyReceivable), s.penalty_receivable);
            prop_assert!(s.principal_outstanding >= Fen::ZERO);
            prop_assert!(s.interest_receivable >= Fen::ZERO && s.penalty_receivable >= Fen::ZERO);
            let due = s.dues()?;
            prop_assert_eq!(s.interest_receivable, due.interest + s.period_accrued);
            for i in &s.schedule {
                prop_assert!(i.unpaid_principal() >= Fen::ZERO && i.unpaid_interest() >= Fen::ZERO);
            }
            prop_assert_eq!(s.status == LoanStatus::Overdue, s.dpd > 0);
        }
        let mut keys: Vec<&str> = postings.iter().map(|p| p.idempotency_key.as_str()).collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        prop_assert_eq!(keys.len(), n);
    }

    /// At a constant principal the daily accruals add up exactly: after k nights
    /// the postings sum to floor(principal × bp × k / 3,600,000).
    #[test]
    fn daily_accruals_add_up_exactly(p in 1i64..=1_000_000_000_000, bp in 1u32..=9999, k in 0i64..=59) {
        // A bullet loan over 2 months: the principal is constant until maturity.
        let (s, _) = start_loan((RepaymentMethod::Bullet, p, bp, 2, date("2025-03-01")))?;
        let (s, posted) = catch_up(&s, s.last_processed.add_days(k), &EodRules::default())?;
        let exact = i128::from(p) * i128::from(bp) * i128::from(k) / 3_600_000;
        prop_assert_eq!(i128::from(total(&posted, PostingKind::InterestAccrual, Account::InterestReceivable).get()), exact);
        prop_assert_eq!(i128::from(s.interest_receivable.get()), exact);
    }
}

/// 10,000 yuan drawn on a revolving line at 3.60 % on 1 March, due 31 May.
fn revolving() -> LoanState {
    LoanState::disburse_revolving(
        "R1",
        rate(360),
        Fen(1_000_000),
        date("2025-03-01"),
        date("2025-05-31"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .0
}

#[test]
fn a_revolving_drawdown_owes_its_interest_at_any_time() {
    let (s, p) = run(&revolving(), "2025-03-10");
    // 10 nights at 100 fen, all of it repayable at once (随借随还).
    assert_eq!(
        total(
            &p,
            PostingKind::InterestAccrual,
            Account::InterestReceivable
        ),
        Fen(1000)
    );
    assert_eq!(
        s.dues().ok(),
        Some(Dues {
            penalty: Fen::ZERO,
            interest: Fen(1000),
            principal: Fen(1_000_000)
        })
    );
    let order = AllocationOrder::default();
    let (s, _) = s
        .repay(Fen(501_000), order, key("pay-1"), date("2025-03-10"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.principal_outstanding, Fen(500_000));
    assert_eq!(s.status, LoanStatus::Normal);
    let (s, p) = run(&s, "2025-03-11");
    assert_eq!(
        total(
            &p,
            PostingKind::InterestAccrual,
            Account::InterestReceivable
        ),
        Fen(50)
    );
    let (s, _) = s
        .repay(Fen(500_050), order, key("pay-2"), date("2025-03-11"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.status, LoanStatus::Settled);
}

#[test]
fn a_revolving_drawdown_unpaid_after_maturity_is_overdue() {
    let (s, _) = run(&revolving(), "2025-05-31");
    assert_eq!(s.dpd, 0);
    let (s, p) = run(&s, "2025-06-02");
    assert_eq!(s.dpd, 2);
    assert_eq!(s.status, LoanStatus::Overdue);
    // No contract interest after maturity; penalty at 1.5 × on the principal.
    assert_eq!(
        total(
            &p,
            PostingKind::InterestAccrual,
            Account::InterestReceivable
        ),
        Fen::ZERO
    );
    assert_eq!(
        total(&p, PostingKind::PenaltyAccrual, Account::PenaltyReceivable),
        Fen(300)
    );
}

#[test]
fn a_revolving_drawdown_needs_a_later_maturity() {
    let r = LoanState::disburse_revolving(
        "R1",
        rate(360),
        Fen(1),
        date("2025-03-01"),
        date("2025-03-01"),
    );
    assert_eq!(r.err(), Some(EodError::MaturityNotAfterValueDate));
}
