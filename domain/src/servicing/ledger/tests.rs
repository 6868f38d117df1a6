use super::*;
use crate::schedule::build_schedule;
use proptest::prelude::*;
use rstest::rstest;

fn date(s: &str) -> Date {
    Date::parse(s).unwrap_or(Date::EPOCH)
}

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn on() -> Date {
    date("2025-03-15")
}

fn dues(penalty: i64, interest: i64, principal: i64) -> Dues {
    Dues {
        penalty: Fen(penalty),
        interest: Fen(interest),
        principal: Fen(principal),
    }
}

fn line(account: Account, debit: i64, credit: i64) -> Line {
    Line {
        account,
        debit: Fen(debit),
        credit: Fen(credit),
    }
}

#[test]
fn each_constructor_posts_to_its_accounts() {
    let k = || key("k1");
    let d = Posting::disbursement(k(), on(), Fen(1000));
    assert_eq!(
        d.map(|p| p.lines),
        Ok(vec![
            line(Account::LoanPrincipal, 1000, 0),
            line(Account::Settlement, 0, 1000)
        ])
    );
    let r = Posting::repayment(k(), on(), &dues(5, 0, 95));
    assert_eq!(
        r.map(|p| p.lines),
        Ok(vec![
            line(Account::Settlement, 100, 0),
            line(Account::PenaltyReceivable, 0, 5),
            line(Account::LoanPrincipal, 0, 95)
        ])
    );
    let a = Posting::interest_accrual(k(), on(), Fen(7));
    assert_eq!(
        a.map(|p| (p.kind, p.lines)),
        Ok((
            PostingKind::InterestAccrual,
            vec![
                line(Account::InterestReceivable, 7, 0),
                line(Account::InterestIncome, 0, 7)
            ]
        ))
    );
    let down = Posting::interest_adjustment(k(), on(), Fen(-3));
    assert_eq!(
        down.map(|p| p.net(Account::InterestReceivable)),
        Ok(Fen(-3))
    );
    let up = Posting::interest_adjustment(k(), on(), Fen(3));
    assert_eq!(up.map(|p| p.net(Account::InterestIncome)), Ok(Fen(-3)));
    let pen = Posting::penalty_accrual(k(), on(), Fen(2));
    assert_eq!(pen.map(|p| p.net(Account::PenaltyReceivable)), Ok(Fen(2)));
    let w = Posting::write_off(k(), on(), &dues(1, 2, 3));
    assert_eq!(
        w.map(|p| (p.kind, p.total(), p.net(Account::LossAllowance))),
        Ok((PostingKind::WriteOff, Fen(6), Fen(6)))
    );
}

#[rstest]
#[case(0)]
#[case(-1)]
fn constructors_refuse_non_positive(#[case] amount: i64) {
    let e = Err(LedgerError::AmountNotPositive);
    assert_eq!(Posting::disbursement(key("k"), on(), Fen(amount)), e);
    assert_eq!(Posting::interest_accrual(key("k"), on(), Fen(amount)), e);
    assert_eq!(Posting::penalty_accrual(key("k"), on(), Fen(amount)), e);
    assert_eq!(
        Posting::repayment(key("k"), on(), &dues(0, 0, amount)),
        if amount < 0 {
            Err(LedgerError::AmountNotPositive)
        } else {
            e
        }
    );
    assert_eq!(
        Posting::interest_adjustment(key("k"), on(), Fen(0)),
        Err(LedgerError::AmountNotPositive)
    );
    assert_eq!(
        Posting::write_off(key("k"), on(), &dues(0, 0, amount)),
        Err(if amount < 0 {
            LedgerError::NegativeDue
        } else {
            LedgerError::AmountNotPositive
        })
    );
}

#[rstest]
#[case::empty(vec![], LedgerError::Empty)]
#[case::negative(vec![line(Account::Settlement, -5, 0), line(Account::LoanPrincipal, 0, -5)], LedgerError::NegativeLine)]
#[case::zero(vec![line(Account::Settlement, 0, 0)], LedgerError::ZeroLine)]
#[case::two_sided(vec![line(Account::Settlement, 5, 5)], LedgerError::TwoSidedLine)]
#[case::unbalanced(
    vec![line(Account::Settlement, 5, 0), line(Account::LoanPrincipal, 0, 4)],
    LedgerError::Unbalanced { debit: Fen(5), credit: Fen(4) }
)]
#[case::overflow(
    vec![line(Account::Settlement, i64::MAX, 0), line(Account::Settlement, 1, 0)],
    LedgerError::Overflow
)]
fn validate_refuses(#[case] lines: Vec<Line>, #[case] err: LedgerError) {
    let p = Posting {
        idempotency_key: key("k"),
        business_date: on(),
        kind: PostingKind::Repayment,
        lines,
    };
    assert_eq!(p.validate(), Err(err));
}

#[test]
fn keys() {
    let k = IdempotencyKey::derive("L001", on(), PostingKind::InterestAccrual);
    assert_eq!(
        k.as_ref().map(IdempotencyKey::as_str),
        Ok("L001:2025-03-15:interest_accrual")
    );
    assert_eq!(
        k,
        IdempotencyKey::derive("L001", on(), PostingKind::InterestAccrual)
    );
    assert_eq!(IdempotencyKey::parse(""), Err(LedgerError::KeyInvalid));
    assert_eq!(IdempotencyKey::parse("a b"), Err(LedgerError::KeyInvalid));
    assert_eq!(
        IdempotencyKey::parse(&"x".repeat(201)),
        Err(LedgerError::KeyInvalid)
    );
    assert_eq!(
        IdempotencyKey::derive("has space", on(), PostingKind::Repayment),
        Err(LedgerError::KeyInvalid)
    );
    assert!(serde_json::from_str::<IdempotencyKey>("\"\"").is_err());
}

#[rstest]
#[case::penalty_first(100, dues(30, 50, 1000), [Component::Penalty, Component::Interest, Component::Principal], dues(30, 50, 20))]
#[case::short(60, dues(30, 50, 1000), [Component::Penalty, Component::Interest, Component::Principal], dues(30, 30, 0))]
#[case::principal_first(100, dues(30, 50, 1000), [Component::Principal, Component::Interest, Component::Penalty], dues(0, 0, 100))]
#[case::interest_first(70, dues(30, 50, 1000), [Component::Interest, Component::Penalty, Component::Principal], dues(20, 50, 0))]
#[case::all(1080, dues(30, 50, 1000), [Component::Penalty, Component::Interest, Component::Principal], dues(30, 50, 1000))]
fn allocation_follows_the_order(
    #[case] amount: i64,
    #[case] due: Dues,
    #[case] order: [Component; 3],
    #[case] expected: Allocation,
) {
    let order = AllocationOrder::new(order).unwrap_or_default();
    assert_eq!(allocate_repayment(Fen(amount), due, order), Ok(expected));
}

#[test]
fn allocation_refusals() {
    let o = AllocationOrder::default();
    assert_eq!(
        allocate_repayment(Fen(1081), dues(30, 50, 1000), o),
        Err(LedgerError::ExceedsOutstanding {
            outstanding: Fen(1080)
        })
    );
    assert_eq!(
        allocate_repayment(Fen(0), dues(30, 50, 1000), o),
        Err(LedgerError::AmountNotPositive)
    );
    assert_eq!(
        allocate_repayment(Fen(1), dues(-1, 50, 1000), o),
        Err(LedgerError::NegativeDue)
    );
    assert_eq!(
        AllocationOrder::new([Component::Penalty, Component::Penalty, Component::Principal]),
        Err(LedgerError::OrderNotPermutation)
    );
    assert_eq!(
        serde_json::to_string(&o).ok().as_deref(),
        Some("[\"penalty\",\"interest\",\"principal\"]")
    );
    assert!(
        serde_json::from_str::<AllocationOrder>("[\"penalty\",\"penalty\",\"principal\"]").is_err()
    );
}

#[test]
fn error_codes_are_distinct() {
    let ledger = [
        LedgerError::AmountNotPositive,
        LedgerError::NegativeDue,
        LedgerError::Empty,
        LedgerError::NegativeLine,
        LedgerError::ZeroLine,
        LedgerError::TwoSidedLine,
        LedgerError::Unbalanced {
            debit: Fen(0),
            credit: Fen(0),
        },
        LedgerError::Overflow,
        LedgerError::KeyInvalid,
        LedgerError::ExceedsOutstanding {
            outstanding: Fen(0),
        },
        LedgerError::OrderNotPermutation,
    ];
    let prepay = [
        PrepaymentError::AmountNotPositive,
        PrepaymentError::ExceedsBalance { balance: Fen(0) },
        PrepaymentError::NothingRemaining,
        PrepaymentError::BalanceMismatch,
        PrepaymentError::DateOutsidePeriod,
        PrepaymentError::NotAmortising,
        PrepaymentError::ModeNotSupported,
    ];
    let codes: std::collections::HashSet<ErrorCode> = ledger
        .iter()
        .map(LedgerError::code)
        .chain(prepay.iter().map(PrepaymentError::code))
        .collect();
    assert_eq!(codes.len(), ledger.len() + prepay.len());
    assert_eq!(
        LedgerError::Unbalanced {
            debit: Fen(1),
            credit: Fen(2)
        }
        .code(),
        ErrorCode::LedgerUnbalanced
    );
    assert_eq!(
        PrepaymentError::Schedule(ScheduleSpecError::NegativeBalance).code(),
        ErrorCode::ScheduleNegativeBalance
    );
}

// ---------------------------------------------------------------------------
// Prepayment

fn rate(bp: u32) -> AnnualRate {
    AnnualRate::from_bp(bp).unwrap_or_else(|e| panic!("{e}"))
}

/// The state of a monthly loan after `paid` instalments.
fn state_after(method: RepaymentMethod, p: i64, bp: u32, n: u32, paid: usize) -> ScheduleState {
    let start = date("2025-01-15");
    let rows = build_schedule(method, Fen(p), rate(bp), n, start).unwrap_or_default();
    let remaining = rows[paid..].to_vec();
    ScheduleState {
        method,
        rate: rate(bp),
        frequency: Frequency::Monthly,
        rounding: Rounding::HalfUpEachPeriod,
        balance: remaining.iter().map(|i| i.principal).sum(),
        period_start: if paid == 0 {
            start
        } else {
            rows[paid - 1].due_date
        },
        remaining,
    }
}

#[test]
fn prepay_equal_instalment_both_ways() {
    // 120,000 yuan, 4.90 %, 12 months; after 3 instalments prepay 30,000 yuan.
    let s = state_after(RepaymentMethod::EqualInstalment, 12_000_000, 490, 12, 3);
    let old = s.remaining[0].payment;
    let day = date("2025-04-20");
    let lower = prepay(&s, Fen(3_000_000), PrepaymentMode::LowerInstalment, day);
    let lower = lower.unwrap_or_default();
    assert_eq!(lower.len(), 9);
    assert_eq!(lower[0].n, 4);
    assert!(lower[0].payment < old);
    assert_eq!(
        lower.iter().map(|i| i.due_date).collect::<Vec<_>>(),
        s.remaining.iter().map(|i| i.due_date).collect::<Vec<_>>()
    );
    let shorter = prepay(&s, Fen(3_000_000), PrepaymentMode::ShortenTerm, day).unwrap_or_default();
    assert!(shorter.len() < 9, "{}", shorter.len());
    assert!(shorter[..shorter.len() - 1]
        .iter()
        .all(|i| i.payment <= old));
    for rows in [&lower, &shorter] {
        assert_eq!(
            rows.iter().map(|i| i.principal).sum::<Fen>(),
            s.balance - Fen(3_000_000)
        );
    }
    // Paying everything leaves nothing to schedule.
    assert_eq!(
        prepay(&s, s.balance, PrepaymentMode::ShortenTerm, day),
        Ok(vec![])
    );
}

#[test]
fn prepay_equal_principal_shortens_by_whole_parts() {
    // 1,200 yuan over 12 months: 100 yuan a month; after 2, prepay 300 yuan: 7 left.
    let s = state_after(RepaymentMethod::EqualPrincipal, 120_000, 490, 12, 2);
    let rows = prepay(
        &s,
        Fen(30_000),
        PrepaymentMode::ShortenTerm,
        date("2025-03-20"),
    )
    .unwrap_or_default();
    assert_eq!(rows.len(), 7);
    assert!(rows.iter().all(|i| i.principal == Fen(10_000)));
}

#[test]
fn prepay_refusals() {
    let s = state_after(RepaymentMethod::EqualInstalment, 12_000_000, 490, 12, 3);
    let day = date("2025-04-20");
    let mode = PrepaymentMode::ShortenTerm;
    assert_eq!(
        prepay(&s, Fen(0), mode, day),
        Err(PrepaymentError::AmountNotPositive)
    );
    assert_eq!(
        prepay(&s, s.balance + Fen(1), mode, day),
        Err(PrepaymentError::ExceedsBalance { balance: s.balance })
    );
    assert_eq!(
        prepay(&s, Fen(1), mode, date("2025-04-14")),
        Err(PrepaymentError::DateOutsidePeriod)
    );
    assert_eq!(
        prepay(&s, Fen(1), mode, date("2025-05-15")),
        Err(PrepaymentError::DateOutsidePeriod)
    );
    let empty = ScheduleState {
        remaining: vec![],
        balance: Fen::ZERO,
        ..s.clone()
    };
    assert_eq!(
        prepay(&empty, Fen(1), mode, day),
        Err(PrepaymentError::NothingRemaining)
    );
    let wrong = ScheduleState {
        balance: s.balance + Fen(1),
        ..s.clone()
    };
    assert_eq!(
        prepay(&wrong, Fen(1), mode, day),
        Err(PrepaymentError::BalanceMismatch)
    );
    let io = state_after(RepaymentMethod::InterestOnly, 120_000, 490, 12, 2);
    assert_eq!(
        prepay(&io, Fen(1), mode, date("2025-03-20")),
        Err(PrepaymentError::ModeNotSupported)
    );
    assert_eq!(
        prepay(
            &io,
            Fen(20_000),
            PrepaymentMode::LowerInstalment,
            date("2025-03-20")
        )
        .map(|r| r.last().map(|i| i.principal)),
        Ok(Some(Fen(100_000)))
    );
    let bullet = state_after(RepaymentMethod::Bullet, 120_000, 490, 12, 0);
    assert_eq!(
        prepay(&bullet, Fen(1), mode, date("2025-03-20")),
        Err(PrepaymentError::NotAmortising)
    );
}

fn any_dues() -> impl Strategy<Value = Dues> {
    (0i64..=1_000_000, 0i64..=1_000_000, 0i64..=100_000_000).prop_map(|(a, b, c)| dues(a, b, c))
}

fn any_order() -> impl Strategy<Value = AllocationOrder> {
    Just([
        Component::Penalty,
        Component::Interest,
        Component::Principal,
    ])
    .prop_shuffle()
    .prop_map(|o| AllocationOrder::new(o).unwrap_or_default())
}

proptest! {
    /// An allocation sums to the amount, never pays a component more than is due,
    /// and pays a component only once the ones before it are fully paid; the
    /// repayment posting is balanced.
    #[test]
    fn allocation_is_exact_and_ordered(due in any_dues(), order in any_order(), frac in 0.0f64..=1.0) {
        let total = due.total()?.get();
        prop_assume!(total > 0);
        let amount = Fen(((total as f64 * frac) as i64).clamp(1, total));
        let a = allocate_repayment(amount, due, order)?;
        prop_assert_eq!(a.total()?, amount);
        let cs = order.components();
        for (i, c) in cs.iter().enumerate() {
            prop_assert!(a.get(*c) >= Fen::ZERO && a.get(*c) <= due.get(*c));
            if a.get(*c) > Fen::ZERO {
                for before in &cs[..i] {
                    prop_assert_eq!(a.get(*before), due.get(*before));
                }
            }
        }
        let p = Posting::repayment(key("r1"), on(), &a)?;
        p.validate()?;
        prop_assert_eq!(p.total(), amount);
        prop_assert_eq!(p.net(Account::Settlement), amount);
    }

    /// Every constructor, for any amount, yields a valid posting whose effects on
    /// the receivables are what the kind says.
    #[test]
    fn constructed_postings_are_balanced(amount in 1i64..=i64::MAX / 4, delta in -1_000_000i64..=1_000_000) {
        let k = || key("k");
        let a = Fen(amount);
        for p in [
            Posting::disbursement(k(), on(), a)?,
            Posting::interest_accrual(k(), on(), a)?,
            Posting::penalty_accrual(k(), on(), a)?,
            Posting::write_off(k(), on(), &dues(amount / 3, amount / 3, amount / 3 + 1))?,
        ] {
            p.validate()?;
            prop_assert_eq!(Account::ALL.iter().map(|acc| p.net(*acc)).sum::<Fen>(), Fen::ZERO);
        }
        if delta != 0 {
            let adj = Posting::interest_adjustment(k(), on(), Fen(delta))?;
            adj.validate()?;
            prop_assert_eq!(adj.net(Account::InterestReceivable), Fen(delta));
        }
    }

    /// Prepayment re-schedules exactly the remaining balance, never lengthens the
    /// term, and (equal instalment) never raises the level payment.
    #[test]
    fn prepayment_reschedules_the_remaining_balance(
        method in prop_oneof![Just(RepaymentMethod::EqualInstalment), Just(RepaymentMethod::EqualPrincipal)],
        p in 100_000i64..=1_000_000_000,
        bp in 100u32..=2400,
        n in 2u32..=120,
        paid_frac in 0.0f64..1.0,
        amount_frac in 0.0f64..=1.0,
        shorten in any::<bool>(),
    ) {
        let paid = ((f64::from(n) * paid_frac) as usize).min(n as usize - 1);
        let s = state_after(method, p, bp, n, paid);
        let amount = Fen(((s.balance.get() as f64 * amount_frac) as i64).clamp(1, s.balance.get()));
        let mode = if shorten { PrepaymentMode::ShortenTerm } else { PrepaymentMode::LowerInstalment };
        let rows = prepay(&s, amount, mode, s.period_start)?;
        prop_assert_eq!(rows.iter().map(|i| i.principal).sum::<Fen>(), s.balance - amount);
        prop_assert!(rows.len() <= s.remaining.len());
        if !shorten && !rows.is_empty() {
            prop_assert_eq!(rows.len(), s.remaining.len());
        }
        for (new, old) in rows.iter().zip(&s.remaining) {
            prop_assert_eq!((new.n, new.due_date), (old.n, old.due_date));
        }
        if method == RepaymentMethod::EqualInstalment && shorten && rows.len() > 1 {
            prop_assert!(rows[0].payment <= s.remaining[0].payment);
        }
        if let Some(last) = rows.last() {
            prop_assert_eq!(last.balance, Fen::ZERO);
        }
    }
}

#[test]
fn opening_balance_nets_the_history_per_account() {
    let history = [
        Posting::disbursement(key("d"), on(), Fen(100_000)),
        Posting::interest_accrual(key("i1"), on(), Fen(30)),
        Posting::interest_accrual(key("i2"), on(), Fen(30)),
        Posting::repayment(key("r"), on(), &dues(0, 60, 1_000)),
    ]
    .into_iter()
    .collect::<Result<Vec<_>, _>>()
    .unwrap_or_else(|e| panic!("{e}"));
    let p = Posting::opening_balance(key("open"), on(), &history);
    assert_eq!(
        p.map(|p| (p.kind, p.lines)),
        Ok((
            PostingKind::OpeningBalance,
            vec![
                line(Account::LoanPrincipal, 99_000, 0),
                line(Account::InterestIncome, 0, 60),
                line(Account::Settlement, 0, 98_940),
            ]
        ))
    );
    assert_eq!(
        Posting::opening_balance(key("open"), on(), &[]).err(),
        Some(LedgerError::Empty)
    );
}

#[test]
fn allocation_order_round_trips_its_code() {
    let d = AllocationOrder::default();
    assert_eq!(d.to_code(), "penalty,interest,principal");
    assert_eq!(AllocationOrder::parse(&d.to_code()), Ok(d));
    assert!(AllocationOrder::parse("principal, interest, penalty").is_ok());
    assert_eq!(
        AllocationOrder::parse("penalty,penalty,principal"),
        Err(LedgerError::OrderNotPermutation)
    );
    assert_eq!(
        AllocationOrder::parse("penalty"),
        Err(LedgerError::OrderNotPermutation)
    );
    for k in PostingKind::ALL {
        assert_eq!(PostingKind::parse(k.as_str()), Some(k));
    }
    for a in Account::ALL {
        assert_eq!(Account::parse(a.as_str()), Some(a));
    }
}
