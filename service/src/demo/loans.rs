//! The demo bank's loans as servicing keeps them: the account and ledger
//! as of yesterday's end-of-day batch, or, for a portfolio taken over from
//! a previous core system, the balances and one opening posting.

use domain::date::Date;
use domain::money::Fen;
use domain::rate::AnnualRate;
use domain::servicing::eod::{catch_up, Classification, EodRules, LoanState, LoanStatus};
use domain::servicing::ledger::{AllocationOrder, IdempotencyKey, Posting};
use rand::Rng;

use super::Generator;
use crate::error::ServiceError;
use crate::servicing::{account_row, next_due_after, posting_rows, schedule_row_paid};

/// Up to this many customers the demo writes each loan's full ledger history
/// (disbursement and every night's accrual); above it, one opening-balance
/// posting per loan, as a bank migrating from its previous core system would.
const FULL_HISTORY_UP_TO: usize = 10_000;

impl Generator {
    /// The loan's account and ledger as of yesterday's end-of-day batch: the
    /// domain's own batch run over the days since the value date.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn account(
        &mut self,
        lid: &str,
        bank: usize,
        rate: AnnualRate,
        amount: Fen,
        schedule: &[domain::schedule::Instalment],
        start: Date,
        at: i64,
    ) -> Result<(), ServiceError> {
        let fail =
            |e: domain::servicing::eod::EodError| ServiceError::internal("demo loan", e.code());
        let (opened, disbursement) =
            LoanState::disburse(lid, rate, amount, schedule, start).map_err(fail)?;
        let cut_over = self.today.add_days(-1);
        let (state, mut history) =
            catch_up(&opened, cut_over, &EodRules::default()).map_err(fail)?;
        history.insert(0, disbursement);
        let bank_id = self.banks[bank].id.clone();
        let postings = if self.customers_wanted <= FULL_HISTORY_UP_TO {
            history
        } else {
            let key = IdempotencyKey::parse(&format!("{lid}:opening"))
                .map_err(|e| ServiceError::internal("demo key", e.code()))?;
            vec![Posting::opening_balance(key, cut_over, &history)
                .map_err(|e| ServiceError::internal("demo opening", e.code()))?]
        };
        for p in &postings {
            posting_rows(
                lid,
                &bank_id,
                p,
                at,
                &mut self.buf.postings,
                &mut self.buf.posting_lines,
            )?;
        }
        self.buf.loan_accounts.push(account_row(
            &bank_id,
            &state,
            next_due_after(schedule, state.last_processed),
            AllocationOrder::default(),
            at,
        ));
        Ok(())
    }

    /// A loan of the portfolio taken over with its balances as of yesterday:
    /// instalments due before today paid, except the last one for 3 % of loans;
    /// interest accrued since the last due date and penalty on the unpaid
    /// principal worked out in closed form, as the batch would have (exactly,
    /// with one overdue instalment), and one opening-balance posting.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn migrated(
        &mut self,
        lid: &str,
        bank: usize,
        rate: AnnualRate,
        schedule: &[domain::schedule::Instalment],
        start: Date,
        at: i64,
        overdue: Option<bool>,
    ) -> Result<(), ServiceError> {
        use domain::servicing::eod::ScheduledInstalment;
        use domain::servicing::ledger::Posting as P;
        let cut_over = self.today.add_days(-1);
        let past = schedule.iter().filter(|i| i.due_date <= cut_over).count();
        let overdue = past > 0 && overdue.unwrap_or_else(|| self.rng.random_range(0..100) < 3);
        let rules = EodRules::default();
        let bp = u128::from(rate.bp());
        let mut lines = Vec::with_capacity(schedule.len());
        let (mut not_due, mut unpaid_p, mut unpaid_i) = (Fen::ZERO, Fen::ZERO, Fen::ZERO);
        let mut oldest_unpaid = None;
        for (k, i) in schedule.iter().enumerate() {
            let paid = k < past && !(overdue && k + 1 == past);
            if k >= past {
                not_due += i.principal;
            } else if !paid {
                unpaid_p += i.principal;
                unpaid_i += i.interest;
                oldest_unpaid = Some(i.due_date);
            }
            lines.push(ScheduledInstalment {
                instalment: *i,
                paid_principal: if paid { i.principal } else { Fen::ZERO },
                paid_interest: if paid { i.interest } else { Fen::ZERO },
            });
        }
        // Nights accrued since the last due date (or the value date).
        let nights = |from: Date| u128::try_from(from.days_until(cut_over) + 1).unwrap_or(0);
        let accrual_from = if past > 0 {
            schedule[past - 1].due_date
        } else {
            start
        };
        let num = u128::from(not_due.get().unsigned_abs()) * bp * nights(accrual_from);
        let accrued = Fen(i64::try_from(num / 3_600_000).unwrap_or(0));
        let interest_carry = u64::try_from(num % 3_600_000).unwrap_or(0);
        let (penalty, penalty_carry, dpd) = match oldest_unpaid {
            Some(d) => {
                let n = u128::try_from(d.days_until(cut_over)).unwrap_or(0);
                let f = bp * u128::from(rules.penalty_multiplier_permille);
                let num = u128::from(unpaid_p.get().unsigned_abs()) * f * n;
                (
                    Fen(i64::try_from(num / 3_600_000_000).unwrap_or(0)),
                    u64::try_from(num % 3_600_000_000).unwrap_or(0),
                    u32::try_from(d.days_until(cut_over)).unwrap_or(0),
                )
            }
            None => (Fen::ZERO, 0, 0),
        };
        let classification = rules.thresholds.classify(dpd);
        let state = LoanState {
            loan_id: lid.to_string(),
            rate,
            principal_outstanding: not_due + unpaid_p,
            interest_receivable: accrued + unpaid_i,
            penalty_receivable: penalty,
            schedule: lines.clone(),
            last_processed: cut_over,
            dpd,
            classification,
            min_classification: Classification::Pass,
            status: if dpd > 0 {
                LoanStatus::Overdue
            } else {
                LoanStatus::Normal
            },
            period_accrued: accrued,
            interest_carry,
            penalty_carry,
            revolving_maturity: None,
        };
        for l in &lines {
            self.buf.loan_schedule.push(schedule_row_paid(lid, l));
        }
        let key = |kind: &str| {
            IdempotencyKey::parse(&format!("{lid}:opening:{kind}"))
                .map_err(|e| ServiceError::internal("demo key", e.code()))
        };
        let fail = |e: domain::servicing::ledger::LedgerError| {
            ServiceError::internal("demo opening", e.code())
        };
        let mut history =
            vec![P::disbursement(key("p")?, cut_over, state.principal_outstanding).map_err(fail)?];
        if state.interest_receivable > Fen::ZERO {
            history.push(
                P::interest_accrual(key("i")?, cut_over, state.interest_receivable)
                    .map_err(fail)?,
            );
        }
        if penalty > Fen::ZERO {
            history.push(P::penalty_accrual(key("f")?, cut_over, penalty).map_err(fail)?);
        }
        let opening = P::opening_balance(key("all")?, cut_over, &history).map_err(fail)?;
        let bank_id = self.banks[bank].id.clone();
        posting_rows(
            lid,
            &bank_id,
            &opening,
            at,
            &mut self.buf.postings,
            &mut self.buf.posting_lines,
        )?;
        self.buf.loan_accounts.push(account_row(
            &bank_id,
            &state,
            next_due_after(schedule, cut_over),
            AllocationOrder::default(),
            at,
        ));
        Ok(())
    }
}
