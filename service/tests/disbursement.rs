//! After approval (issue 16): the contract drawn up at approval, signed by
//! the borrower, the bank account checked with its holder, and the payout
//! that books the loan once, whatever fails, repeats or races; each on
//! SQLite and (when `PUHUI_TEST_PG_URL` is set) PostgreSQL.

mod common;

use common::{on_each_backend, today, Env};
use domain::application::ApplicationStatus;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::product::GuaranteeType;
use domain::view::{AccountStatus, ContractStatus, PayoutStatus};
use service::servicing::payouts::ProviderNotice;
use service::ServiceError;

const LI: &str = "13800000001";

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
    }
}

async fn count(env: &Env, sql: &str) -> i64 {
    env.scalar_i64(sql).await
}

/// 李秀英's application for `amount` of the bank's first (unsecured)
/// product, investigated and approved.
async fn approved(env: &Env, amount: Fen, key: &str) -> String {
    env.approved_application(LI, GuaranteeType::Credit, amount, key)
        .await
}

async fn node_kind(env: &Env, id: &str) -> String {
    env.scalar_text(&format!(
        "SELECT node_kind FROM flow_tasks WHERE application_id = '{id}' \
         ORDER BY created_at DESC, id DESC LIMIT 1"
    ))
    .await
}

async fn sign(env: &Env, id: &str) {
    let s = &env.services;
    let li = env.customer(LI).await;
    let contract = s
        .contracts()
        .my_contracts(&li)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.application_id == id)
        .expect("drawn up at approval");
    assert_eq!(contract.status, ContractStatus::Generated);
    // The signing page's summary: the granted terms, from the day drawn up.
    let terms = s
        .contracts()
        .my_contract_terms(&li, &contract.id)
        .await
        .unwrap();
    assert_eq!((terms.term_months, terms.start_date), (12, today()));
    assert!(terms.rate.bp() > 0);
    assert!(
        contract.text.contains("购买化肥种子"),
        "the purpose as typed"
    );
    s.contracts()
        .send_signing_code(&li, &contract.id)
        .await
        .unwrap();
    let code = env.last_sms_code(LI).await;
    s.contracts()
        .sign_contract(&li, &contract.id, &code, b"png")
        .await
        .expect("signed");
}

#[tokio::test]
async fn a_loan_is_booked_only_when_its_payout_succeeds_and_once() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = env.services.clone();
        let id = approved(&env, Fen::from_yuan(50_000), "payout-1").await;
        let loans = format!("SELECT COUNT(*) FROM loans WHERE application_id = '{id}'");
        assert_eq!(count(&env, &loans).await, 0);
        assert_eq!(node_kind(&env, &id).await, "contract_signing");
        let granted = env
            .scalar_i64(&format!(
                "SELECT annual_rate_bp FROM approvals WHERE application_id = '{id}'"
            ))
            .await;
        assert!(granted > 0, "the approval keeps the rate it granted");

        // The desk cannot pay out before the borrower signs.
        let desk = env.assignee(&id, "contract_signing").await;
        assert_code(
            s.applications().disburse(&desk, &id, "k-early").await,
            ErrorCode::ContractNotSigned,
        );
        // Nor can anyone else, nor may the signing step be waved through.
        let officer = env.staff("officer1").await;
        assert_code(
            s.applications().disburse(&officer, &id, "k-officer").await,
            ErrorCode::Forbidden,
        );

        sign(&env, &id).await;
        assert_eq!(node_kind(&env, &id).await, "disbursement");
        let desk = env.assignee(&id, "disbursement").await;
        let view = s.applications().disbursement(&desk, &id).await.unwrap();
        assert!(view.contract_signed);
        assert_eq!(view.blocked_reason, Some(ErrorCode::AccountNotVerified));
        assert_code(
            s.applications().disburse(&desk, &id, "k-no-account").await,
            ErrorCode::AccountNotVerified,
        );

        // An account that is not hers is refused and kept as failed.
        assert_code(
            s.applications()
                .bind_account_for(&desk, &id, "6217 0000 2234 0000", "县农商银行")
                .await,
            ErrorCode::AccountVerificationFailed,
        );
        assert_code(
            s.applications()
                .bind_account_for(&desk, &id, "12ab", "县农商银行")
                .await,
            ErrorCode::AccountNumberInvalid,
        );
        let view = s.applications().disbursement(&desk, &id).await.unwrap();
        assert_eq!(view.accounts.len(), 1);
        assert_eq!(view.accounts[0].status, AccountStatus::Failed);
        assert_eq!(view.accounts[0].account_masked, "6217********0000");
        assert_code(
            s.applications()
                .disburse(&desk, &id, "k-failed-account")
                .await,
            ErrorCode::AccountNotVerified,
        );
        // The number is sealed at rest.
        let stored = env
            .scalar_text("SELECT account_sealed FROM bank_accounts LIMIT 1")
            .await;
        assert!(stored.starts_with("pfi1."), "{stored}");

        // A frozen account: the payout fails, nothing is booked.
        s.applications()
            .bind_account_for(&desk, &id, "6217000002344444", "县农商银行")
            .await
            .expect("verified");
        match s.applications().disburse(&desk, &id, "k-frozen").await {
            Err(ServiceError::Validation { code, params }) => {
                assert_eq!(code, ErrorCode::PayoutDeclined);
                assert_eq!(params, vec![("reason", "account_frozen".to_string())]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(count(&env, &loans).await, 0);
        let view = s.applications().disbursement(&desk, &id).await.unwrap();
        assert_eq!(view.payouts[0].status, PayoutStatus::Failed);
        assert_eq!(view.blocked_reason, None, "a failed payout may be retried");

        // Two desks' clicks at once, with their own keys: paid once.
        s.applications()
            .bind_account_for(&desk, &id, "6217000012345678907", "县农商银行")
            .await
            .expect("verified");
        let a = s.applications();
        let (first, second) = tokio::join!(
            a.disburse(&desk, &id, "k-race-1"),
            a.disburse(&desk, &id, "k-race-2"),
        );
        let loan_id = match (&first, &second) {
            (Ok(l), Err(e)) | (Err(e), Ok(l)) => {
                assert!(
                    matches!(
                        e.code(),
                        ErrorCode::PayoutPending | ErrorCode::AlreadyDisbursed
                    ),
                    "{e:?}"
                );
                l.clone()
            }
            other => panic!("exactly one payout: {other:?}"),
        };
        assert_eq!(count(&env, &loans).await, 1);
        assert_eq!(
            count(
                &env,
                &format!(
                    "SELECT COUNT(*) FROM payouts WHERE application_id = '{id}' \
                     AND status = 'succeeded'"
                )
            )
            .await,
            1
        );
        // A retry of the winner's request answers the same loan.
        let winner = if first.is_ok() {
            "k-race-1"
        } else {
            "k-race-2"
        };
        assert_eq!(
            s.applications().disburse(&desk, &id, winner).await.unwrap(),
            loan_id
        );
        assert_code(
            s.applications().disburse(&desk, &id, "k-late").await,
            ErrorCode::AlreadyDisbursed,
        );

        // The loan runs from the day of the payout on the granted terms; the
        // flow has ended as disbursed.
        let loan = s.loans().loan_for_staff(&desk, &loan_id).await.unwrap();
        assert_eq!(loan.summary.principal, Fen::from_yuan(50_000));
        assert_eq!(loan.summary.start_date, today());
        assert_eq!(i64::from(loan.summary.rate.bp()), granted);
        assert_eq!(loan.schedule.len(), 12);
        let end = env
            .scalar_text(&format!(
                "SELECT flow_node FROM applications WHERE id = '{id}'"
            ))
            .await;
        assert_eq!(end, "disbursed");
        let app = s
            .applications()
            .application_for_staff(&desk, &id)
            .await
            .unwrap();
        assert_eq!(app.status, ApplicationStatus::Approved);
        assert_eq!(
            i64::from(app.rate.bp()),
            granted,
            "the file shows the granted rate"
        );
        assert_eq!(app.loan_id.as_deref(), Some(loan_id.as_str()));
        for action in [
            "payout.requested",
            "payout.failed",
            "payout.succeeded",
            "loan.created",
        ] {
            assert!(
                count(
                    &env,
                    &format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")
                )
                .await
                    >= 1,
                "{action}"
            );
        }
        assert!(s.audit().verify_audit_chain_fully().await.unwrap().valid);
    })
    .await;
}

#[tokio::test]
async fn a_lost_payout_answer_is_settled_once_by_the_providers_notice() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = env.services.clone();
        // Amounts ending in 0.55 yuan: the development provider pays but
        // the answer is lost.
        let amount = Fen(Fen::from_yuan(50_000).get() + 55);
        let id = approved(&env, amount, "payout-lost").await;
        sign(&env, &id).await;
        let desk = env.assignee(&id, "disbursement").await;
        s.applications()
            .bind_account_for(&desk, &id, "6217000012345678907", "县农商银行")
            .await
            .unwrap();
        assert_code(
            s.applications().disburse(&desk, &id, "k-lost").await,
            ErrorCode::PayoutPending,
        );
        let loans = format!("SELECT COUNT(*) FROM loans WHERE application_id = '{id}'");
        assert_eq!(count(&env, &loans).await, 0);
        // While it is pending, nobody pays again.
        assert_code(
            s.applications().disburse(&desk, &id, "k-again").await,
            ErrorCode::PayoutPending,
        );

        let reference = env
            .scalar_text(&format!(
                "SELECT reference FROM payouts WHERE application_id = '{id}'"
            ))
            .await;
        let notice = ProviderNotice {
            notice_id: "n-1".to_string(),
            kind: "payout".to_string(),
            reference: reference.clone(),
            outcome: "paid".to_string(),
            reason: None,
        };
        // The provider delivers its notice twice at once.
        let a = s.applications();
        let (x, y) = tokio::join!(
            a.provider_notice("dev", &notice),
            a.provider_notice("dev", &notice)
        );
        assert!(x.is_ok() && y.is_ok(), "{x:?} {y:?}");
        assert_eq!(count(&env, &loans).await, 1);
        // And again later: nothing more.
        assert!(!a.provider_notice("dev", &notice).await.unwrap());
        assert_eq!(count(&env, &loans).await, 1);
        assert_eq!(
            count(&env, "SELECT COUNT(*) FROM provider_notices").await,
            1
        );
        assert_eq!(a.resolve_pending_payouts(0).await.unwrap(), 0);
        // The first request's retry now answers its loan.
        let loan = a.disburse(&desk, &id, "k-lost").await.unwrap();
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT id FROM loans WHERE application_id = '{id}'"
            ))
            .await,
            loan
        );
    })
    .await;
}

#[tokio::test]
async fn a_pending_payout_the_provider_never_made_fails_and_may_be_retried() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = env.services.clone();
        let id = approved(&env, Fen::from_yuan(50_000), "payout-forgotten").await;
        sign(&env, &id).await;
        let desk = env.assignee(&id, "disbursement").await;
        s.applications()
            .bind_account_for(&desk, &id, "6217000012345678907", "县农商银行")
            .await
            .unwrap();
        // An order left pending by a stopped server, which the provider
        // never received.
        let account = env
            .scalar_text("SELECT id FROM bank_accounts LIMIT 1")
            .await;
        let customer = env
            .scalar_text(&format!(
                "SELECT customer_id FROM applications WHERE id = '{id}'"
            ))
            .await;
        env.exec(&format!(
            "INSERT INTO payouts (id, reference, application_id, customer_id, bank_account_id, \
               amount_fen, provider, status, idempotency_key, requested_by, created_at, \
               updated_at) VALUES ('p1', 'ref-stopped', '{id}', '{customer}', '{account}', \
               5000000, 'dev', 'pending', 'k-stopped', '{}', 0, 0)",
            desk.user_id
        ))
        .await;
        assert_code(
            s.applications().disburse(&desk, &id, "k-blocked").await,
            ErrorCode::PayoutPending,
        );
        assert_eq!(
            s.applications().resolve_pending_payouts(0).await.unwrap(),
            1
        );
        assert_eq!(
            env.scalar_text("SELECT status FROM payouts WHERE reference = 'ref-stopped'")
                .await,
            "failed"
        );
        let loan = s
            .applications()
            .disburse(&desk, &id, "k-after")
            .await
            .expect("paid out after the failed order");
        assert!(!loan.is_empty());
    })
    .await;
}
