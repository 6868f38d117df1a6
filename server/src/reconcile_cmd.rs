//! `puhui reconcile`: the whole book checked against itself (对账), printed
//! as a short report or JSON; exits 1 when anything is off.

use service::servicing::reconcile::{Findings, Reconciliation};

fn yuan(fen: i64) -> String {
    domain::money::Fen(fen).to_grouped_string()
}

fn line<T>(out: &mut String, label: &str, f: &Findings<T>, each: impl Fn(&T) -> String) {
    let mark = if f.count == 0 { "ok " } else { "!! " };
    out.push_str(&format!("{mark}{label}: {}\n", f.count));
    for x in &f.first {
        out.push_str(&format!("     {}\n", each(x)));
    }
}

/// The report as text.
pub fn report(r: &Reconciliation) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "loans {}  postings {}  debits {}  credits {}\n",
        r.loans,
        r.postings,
        yuan(r.total_debit_fen),
        yuan(r.total_credit_fen)
    ));
    let balanced = r.total_debit_fen == r.total_credit_fen;
    out.push_str(if balanced {
        "ok  the book's debits equal its credits\n"
    } else {
        "!!  the book's debits differ from its credits\n"
    });
    let posting = |p: &service::servicing::reconcile::PostingFinding| {
        format!(
            "loan {} posting {}: debits {} credits {}{}",
            p.loan_id,
            p.idempotency_key,
            yuan(p.debit_fen),
            yuan(p.credit_fen),
            p.amount_fen
                .map(|a| format!(" amount {}", yuan(a)))
                .unwrap_or_default()
        )
    };
    line(
        &mut out,
        "unbalanced postings",
        &r.unbalanced_postings,
        posting,
    );
    line(
        &mut out,
        "postings whose amount is not their lines'",
        &r.amount_mismatches,
        posting,
    );
    line(
        &mut out,
        "postings without lines",
        &r.postings_without_lines,
        posting,
    );
    line(
        &mut out,
        "accounts that differ from their ledger",
        &r.balance_mismatches,
        |b| {
            format!(
                "loan {} {}: stored {} ledger {}",
                b.loan_id,
                b.account,
                yuan(b.stored_fen),
                yuan(b.ledger_fen)
            )
        },
    );
    let payment = |p: &service::servicing::reconcile::PaymentFinding| {
        format!("payment {} loan {} ({})", p.reference, p.loan_id, p.status)
    };
    line(
        &mut out,
        "confirmed payments not posted",
        &r.payments_not_posted,
        payment,
    );
    line(
        &mut out,
        "repayments posted without a confirmed payment",
        &r.postings_without_payment,
        payment,
    );
    line(
        &mut out,
        "payments pending for over an hour (the provider has not answered)",
        &r.payments_unsettled,
        payment,
    );
    out
}

/// Runs the reconciliation; `Ok(false)` when something is off.
pub async fn run(services: &service::Services, json: bool) -> anyhow::Result<bool> {
    let r = services
        .servicing()
        .reconcile_book()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", report(&r));
    }
    Ok(r.is_clean())
}
