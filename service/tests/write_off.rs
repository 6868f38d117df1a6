//! Write-off (核销, issue 16 item 7): a bad loan is proposed by one person
//! and approved by another; approval posts the write-off once, however the
//! decisions race, and closes the loan; each on SQLite and (when
//! `PUHUI_TEST_PG_URL` is set) PostgreSQL.

mod common;

use common::{on_each_backend, Env};
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::product::GuaranteeType;
use domain::view::{InstalmentState, WriteOffStatus};
use service::ServiceError;

const LI: &str = "13800000001";

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got {v:?}"),
    }
}

/// A loan paid out to 李秀英, then (as if the batch had run for seven
/// months with nothing repaid) 200 days past due and classified doubtful.
async fn bad_loan(env: &Env) -> String {
    let id = env
        .approved_application(LI, GuaranteeType::Credit, Fen::from_yuan(20_000), "wo-1")
        .await;
    let loan = env.sign_and_disburse(&id, LI).await;
    env.exec(&format!(
        "UPDATE loan_accounts SET status = 'overdue', dpd = 200, classification = 'doubtful' \
         WHERE loan_id = '{loan}'"
    ))
    .await;
    loan
}

#[tokio::test]
async fn a_bad_loan_is_written_off_once_under_two_people() {
    on_each_backend(|env| async move {
        env.seed().await;
        let sv = env.services.servicing();
        let id = env
            .approved_application(LI, GuaranteeType::Credit, Fen::from_yuan(20_000), "wo-0")
            .await;
        let current = env.sign_and_disburse(&id, LI).await;
        let officer = env.staff("officer1").await;
        let head = env.staff("head1").await;
        let approver = env.staff("approver1").await;
        // A current loan is not a bad debt.
        assert_code(
            sv.propose_write_off(&officer, &current, "无法收回", "法院裁定书")
                .await,
            ErrorCode::WriteOffNotEligible,
        );
        let panel = sv.write_off_panel(&officer, &current).await.unwrap();
        assert_eq!(panel.not_eligible, Some(ErrorCode::WriteOffNotEligible));
        assert!(!panel.can_propose);

        // A minute on: the next signing code may be sent.
        env.clock.advance_secs(61);
        let loan = bad_loan(&env).await;
        assert_code(
            sv.propose_write_off(&approver, &loan, "无法收回", "裁定书")
                .await,
            ErrorCode::Forbidden,
        );
        assert_code(
            sv.propose_write_off(&officer, &loan, "  ", "裁定书").await,
            ErrorCode::WriteOffReasonRequired,
        );
        let first = sv
            .propose_write_off(
                &officer,
                &loan,
                "借款人死亡，无遗产可供清偿",
                "死亡证明 No.2026-118",
            )
            .await
            .unwrap();
        assert_code(
            sv.propose_write_off(&head, &loan, "重复", "重复").await,
            ErrorCode::WriteOffPending,
        );
        // Refused first: nothing is posted, and it can be proposed again.
        sv.decide_write_off(&approver, &first, false, "材料不全，补充法院文书")
            .await
            .unwrap();
        assert_code(
            sv.decide_write_off(&head, &first, true, "").await,
            ErrorCode::ApplicationStateChanged,
        );
        // The branch head proposes it again; the proposer cannot decide it.
        let second = sv
            .propose_write_off(
                &head,
                &loan,
                "借款人死亡，无遗产可供清偿",
                "法院终结执行裁定书",
            )
            .await
            .unwrap();
        assert_code(
            sv.decide_write_off(&head, &second, true, "").await,
            ErrorCode::WriteOffSameApprover,
        );
        assert_code(
            sv.decide_write_off(&officer, &second, true, "").await,
            ErrorCode::Forbidden,
        );
        let approver2 = env.staff("approver2").await;
        let principal = sv.write_off_panel(&head, &loan).await.unwrap().principal;
        assert!(principal > Fen::ZERO);

        // Two approvals at once: one posts, the other finds it decided.
        let (a, b) = tokio::join!(
            sv.decide_write_off(&approver2, &second, true, "同意核销"),
            sv.decide_write_off(&approver, &second, true, "同意核销"),
        );
        assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
        let loser = if a.is_ok() { b } else { a };
        assert_code(loser, ErrorCode::ApplicationStateChanged);
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM postings WHERE loan_id = '{loan}' AND kind = 'write_off'"
            ))
            .await,
            1
        );
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT status FROM loan_accounts WHERE loan_id = '{loan}'"
            ))
            .await,
            "written_off"
        );
        // The ledger balances and the loan owes nothing more.
        for account in [
            "",
            "AND account = 'loan_principal'",
            "AND account = 'interest_receivable'",
        ] {
            assert_eq!(
                env.scalar_i64(&format!(
                    "SELECT CAST(COALESCE(SUM(debit_fen - credit_fen), 0) AS BIGINT) FROM posting_lines \
                     WHERE loan_id = '{loan}' {account}"
                ))
                .await,
                0,
                "{account}"
            );
        }
        // The page's schedule says what is no longer owed.
        let page = env.services.loans().loan_for_staff(&head, &loan).await.unwrap();
        assert!(page
            .schedule
            .iter()
            .all(|l| l.state == InstalmentState::WrittenOff));
        let panel = sv.write_off_panel(&officer, &loan).await.unwrap();
        assert_eq!(panel.not_eligible, Some(ErrorCode::EodLoanClosed));
        let done = &panel.items[0];
        assert_eq!(done.status, WriteOffStatus::Approved);
        assert_eq!(done.principal, Some(principal));
        assert_eq!(panel.items[1].status, WriteOffStatus::Refused);
        assert!(!panel.can_propose && panel.items.iter().all(|w| !w.can_decide));
        assert!(
            env.services
                .audit()
                .verify_audit_chain_fully()
                .await
                .unwrap()
                .valid
        );
    })
    .await;
}

/// A loan drawn on a revolving line and written off: what it owed leaves
/// the line, nothing becomes available again, and the line is frozen.
#[tokio::test]
async fn a_write_off_on_a_line_lowers_what_is_owed_and_freezes_it() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let li = env.customer(LI).await;
        let (officer, head) = (env.staff("officer1").await, env.staff("head1").await);
        let products = s.products().list_products(Some(&li.bank_id)).await.unwrap();
        let line = s
            .servicing()
            .grant_line(
                &env.staff("approver1").await,
                &li.customer_id,
                &products[0].id,
                domain::servicing::credit_line::LineKind::Revolving,
                Fen::from_yuan(50_000),
                common::today().add_months(12),
            )
            .await
            .expect("grant");
        let loan = s
            .servicing()
            .draw_down(&li, &line.id, Fen::from_yuan(12_000), 12, "wo-line")
            .await
            .expect("draw");
        env.exec(&format!(
            "UPDATE loan_accounts SET status = 'overdue', dpd = 200, classification = 'doubtful' \
             WHERE loan_id = '{loan}'"
        ))
        .await;
        let sv = s.servicing();
        let w = sv
            .propose_write_off(&officer, &loan, "借款人失联，多次催收无果", "催收记录")
            .await
            .expect("propose");
        sv.decide_write_off(&head, &w, true, "同意核销")
            .await
            .expect("approve");
        let v = sv.line_view_for(&head, &line.id).await.unwrap();
        assert_eq!(v.outstanding, Fen::ZERO);
        assert_eq!(v.used, Fen::from_yuan(12_000), "nothing comes back to draw");
        assert_eq!(v.status, domain::servicing::credit_line::LineStatus::Frozen);
    })
    .await;
}
