//! Guarantors (issue 16 item 2): a guaranteed loan is paid out only once
//! every guarantor on it has consented, passed the bureau check and signed
//! the one guarantee contract face to face; the bank seals it once, however
//! the signatures race; each on SQLite and (when `PUHUI_TEST_PG_URL` is
//! set) PostgreSQL.

mod common;

use common::{on_each_backend, Env};
use domain::contract::ContractKind;
use domain::error_code::ErrorCode;
use domain::guarantor::{
    assess, GuarantorBureau, GuarantorInput, GuarantorRelation, GuarantorStatus,
};
use domain::identity::IdNumber;
use domain::money::Fen;
use domain::product::GuaranteeType;
use domain::view::ContractStatus;
use service::contracts::verify::verify_file;
use service::risk::bureau::dev_report;
use service::ServiceError;

const LI: &str = "13800000001";

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got {v:?}"),
    }
}

/// A valid ID number born in 1975 with sequence `seq` (three digits).
fn id_number(seq: u32) -> String {
    let first = format!("360721197503{:02}{:03}", 1 + seq % 28, seq % 1000);
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let sum: u32 = first
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let id = format!("{first}{}", C[(sum % 11) as usize] as char);
    IdNumber::parse(&id).expect("valid").as_str().to_string()
}

/// ID numbers whose development bureau report the bank accepts (or, with
/// `accept` false, declines), skipping the test sequences that fail.
fn ids(accept: bool) -> impl Iterator<Item = String> {
    (100..998).map(id_number).filter(move |id| {
        let r = dev_report(&IdNumber::parse(id).unwrap());
        let verdict = assess(&GuarantorBureau {
            score: r.score,
            lenders: r.lenders,
            worst_delinquency: r.worst_delinquency,
            blacklisted: r.blacklisted,
        });
        verdict.is_ok() == accept
    })
}

fn person(name: &str, id: &str, phone: &str) -> GuarantorInput {
    GuarantorInput {
        name: name.into(),
        id_number: id.into(),
        phone: phone.into(),
        relation: GuarantorRelation::Neighbour,
        note: "同村种植大户".into(),
    }
}

async fn status(env: &Env, id: &str) -> GuarantorStatus {
    let s = env
        .scalar_text(&format!("SELECT status FROM guarantors WHERE id = '{id}'"))
        .await;
    GuarantorStatus::parse(&s).unwrap()
}

/// The guarantor consents with the code sent to their phone.
async fn consent(env: &Env, id: &str, phone: &str) -> Result<GuarantorStatus, ServiceError> {
    let officer = env.staff("officer1").await;
    let a = env.services.applications();
    a.send_guarantor_consent_code(&officer, id).await?;
    let code = env.last_sms_code(phone).await;
    a.confirm_guarantor_consent(&officer, id, &code).await
}

#[tokio::test]
async fn a_guaranteed_loan_waits_for_every_guarantor_to_sign() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let a = s.applications();
        let c = s.contracts();
        let id = env
            .approved_application(LI, GuaranteeType::Guarantor, Fen::from_yuan(50_000), "g-1")
            .await;
        // The borrower signs; an account is bound; no guarantor yet.
        let li = env.customer(LI).await;
        let loan_contract = c
            .my_contracts(&li)
            .await
            .unwrap()
            .into_iter()
            .find(|k| k.application_id == id)
            .expect("loan contract");
        c.send_signing_code(&li, &loan_contract.id).await.unwrap();
        let code = env.last_sms_code(LI).await;
        c.sign_contract(&li, &loan_contract.id, &code, b"png")
            .await
            .unwrap();
        let desk = env.assignee(&id, "disbursement").await;
        a.bind_account_for(&desk, &id, "6217000012345678907", "县农商银行")
            .await
            .unwrap();
        assert_code(
            a.disburse(&desk, &id, "p1").await,
            ErrorCode::GuarantorMissing,
        );

        let officer = env.staff("officer1").await;
        let approver = env.staff("approver1").await;
        let mut good = ids(true);
        let (g1_id, g3_id) = (good.next().unwrap(), good.next().unwrap());
        let bad_id = ids(false).next().unwrap();
        assert_code(
            a.record_guarantor(&approver, &id, person("张三", &g1_id, "13900000011"))
                .await,
            ErrorCode::Forbidden,
        );
        let own = env.id_number_of_phone(LI).await;
        assert_code(
            a.record_guarantor(&officer, &id, person("李秀英", &own, "13900000011"))
                .await,
            ErrorCode::GuarantorIsBorrower,
        );
        let g1 = a
            .record_guarantor(&officer, &id, person("张三", &g1_id, "13900000011"))
            .await
            .unwrap();
        assert_code(
            a.record_guarantor(&officer, &id, person("张三", &g1_id, "13900000011"))
                .await,
            ErrorCode::GuarantorAlreadyRecorded,
        );
        let g2 = a
            .record_guarantor(&officer, &id, person("赵四", &bad_id, "13900000012"))
            .await
            .unwrap();
        assert_code(
            a.disburse(&desk, &id, "p2").await,
            ErrorCode::GuarantorNotChecked,
        );

        // A wrong consent code changes nothing; the right one, then the bureau.
        a.send_guarantor_consent_code(&officer, &g1).await.unwrap();
        let right = env.last_sms_code("13900000011").await;
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        assert_code(
            a.confirm_guarantor_consent(&officer, &g1, wrong).await,
            ErrorCode::CodeInvalid,
        );
        assert_eq!(status(&env, &g1).await, GuarantorStatus::Recorded);
        // …and is on the record: someone may be consenting in their name.
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'guarantor.consent_refused' \
                 AND entity_id = '{g1}'"
            ))
            .await,
            1
        );
        assert_eq!(
            a.confirm_guarantor_consent(&officer, &g1, &right)
                .await
                .unwrap(),
            GuarantorStatus::Accepted
        );
        assert_eq!(
            consent(&env, &g2, "13900000012").await.unwrap(),
            GuarantorStatus::Declined
        );
        let panel = a.guarantors(&officer, &id).await.unwrap();
        assert!(panel.required);
        assert_eq!(panel.not_ready, Some(ErrorCode::GuarantorDeclined));
        let declined = panel.items.iter().find(|g| g.id == g2).unwrap();
        assert!(declined.decline_reason.is_some() && declined.bureau_synthetic);
        assert!(declined.id_number_masked.contains('*'));
        assert_code(
            c.generate_guarantee_contract(&officer, &id).await,
            ErrorCode::GuarantorDeclined,
        );

        // The declined guarantor is taken off; the contract is drawn up.
        let v = panel.items.iter().find(|g| g.id == g2).unwrap().version;
        a.remove_guarantor(&officer, &g2, v).await.unwrap();
        let first = c.generate_guarantee_contract(&officer, &id).await.unwrap();
        assert_eq!(first.kind, ContractKind::Guarantee);
        assert_eq!(
            first.contract_no,
            format!("{}-BZ1", loan_contract.contract_no)
        );
        assert!(first.text.contains("张三") && first.text.contains(&g1_id));
        assert!(first.text.contains(&loan_contract.contract_no));

        // A third guarantor joins: the unsealed contract is voided and
        // drawn up again naming both.
        let g3 = a
            .record_guarantor(&officer, &id, person("王五", &g3_id, "13900000013"))
            .await
            .unwrap();
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT status FROM contracts WHERE id = '{}'",
                first.id
            ))
            .await,
            "voided"
        );
        assert_eq!(
            consent(&env, &g3, "13900000013").await.unwrap(),
            GuarantorStatus::Accepted
        );
        let drawn = c.generate_guarantee_contract(&officer, &id).await.unwrap();
        assert_eq!(
            drawn.contract_no,
            format!("{}-BZ2", loan_contract.contract_no)
        );
        assert!(drawn.text.contains("张三、王五"), "{}", drawn.text);

        // The borrower neither sees nor signs it: the guarantors sign, and
        // its text holds their ID numbers.
        assert!(c
            .my_contracts(&li)
            .await
            .unwrap()
            .iter()
            .all(|k| k.kind == ContractKind::Loan));
        assert_code(c.my_contract(&li, &drawn.id).await, ErrorCode::NotFound);
        assert_code(
            c.send_signing_code(&li, &drawn.id).await,
            ErrorCode::NotFound,
        );
        assert_code(
            c.export_my_contract(&li, &drawn.id).await,
            ErrorCode::NotFound,
        );

        // The first guarantor signs; a wrong code is refused and recorded.
        c.send_guarantee_signing_code(&officer, &g1).await.unwrap();
        let right = env.last_sms_code("13900000011").await;
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        assert_code(
            c.sign_guarantee(&officer, &g1, wrong, b"sig").await,
            ErrorCode::CodeInvalid,
        );
        assert_code(
            c.sign_guarantee(&officer, &g1, &right, b"").await,
            ErrorCode::ContractSignatureMissing,
        );
        let after_one = c
            .sign_guarantee(&officer, &g1, &right, b"sig-1")
            .await
            .unwrap();
        assert_eq!(after_one.status, ContractStatus::Generated);
        assert_eq!(after_one.signers.len(), 1);
        assert_code(
            a.disburse(&desk, &id, "p3").await,
            ErrorCode::GuarantorNotSigned,
        );

        // The last guarantor's signing, sent twice at once, signs once and
        // seals once.
        c.send_guarantee_signing_code(&desk, &g3).await.unwrap();
        let code = env.last_sms_code("13900000013").await;
        let (x, y) = tokio::join!(
            c.sign_guarantee(&desk, &g3, &code, b"sig-3"),
            c.sign_guarantee(&desk, &g3, &code, b"sig-3"),
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        assert_eq!(x.status, ContractStatus::Signed);
        assert_eq!(x, y);
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM contract_signers WHERE contract_id = '{}'",
                drawn.id
            ))
            .await,
            3,
            "two guarantors and the bank"
        );
        let roles: Vec<_> = x.signers.iter().map(|s| s.role.as_str()).collect();
        assert_eq!(roles, ["guarantor", "guarantor", "bank"]);
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'contract.signed' \
                 AND entity_id = '{}'",
                drawn.id
            ))
            .await,
            1
        );

        // The sealed contract verifies; a changed character does not.
        let file = c.export_contract(&officer, &drawn.id).await.unwrap();
        let v = c.verify_contract_file(&file).await.unwrap();
        assert!(v.valid, "{v:?}");
        let text = String::from_utf8(file.clone()).unwrap();
        let forged = text.replacen("王五", "王伍", 1);
        assert!(
            !c.verify_contract_file(forged.as_bytes())
                .await
                .unwrap()
                .valid
        );
        let public = s.config.contract_seal.public_hex();
        assert!(!verify_file(&file[..file.len() - 1], &public).valid);

        // Once sealed, the guarantors cannot change; the money goes out.
        let panel = a.guarantors(&officer, &id).await.unwrap();
        assert_eq!(panel.not_ready, None);
        assert!(!panel.can_record);
        assert!(panel.items.iter().all(|g| !g.can_remove));
        let spare = ids(true).nth(2).unwrap();
        assert_code(
            a.record_guarantor(&officer, &id, person("钱六", &spare, "13900000014"))
                .await,
            ErrorCode::ContractAlreadySigned,
        );
        a.disburse(&desk, &id, "p4").await.expect("paid out");
        assert!(s.audit().verify_audit_chain_fully().await.unwrap().valid);
    })
    .await;
}

#[tokio::test]
async fn a_bureau_that_does_not_answer_leaves_the_guarantor_to_be_asked_again() {
    on_each_backend(|env| async move {
        env.seed().await;
        let a = env.services.applications();
        let id = env
            .approved_application(LI, GuaranteeType::Guarantor, Fen::from_yuan(30_000), "g-2")
            .await;
        let officer = env.staff("officer1").await;
        // Sequence 998: the development bureau fails for it, every time.
        let failing = id_number(998);
        let g = a
            .record_guarantor(&officer, &id, person("孙七", &failing, "13900000021"))
            .await
            .unwrap();
        assert_code(
            a.recheck_guarantor(&officer, &g).await,
            ErrorCode::GuarantorStepInvalid,
        );
        assert_code(
            consent(&env, &g, "13900000021").await,
            ErrorCode::GuarantorBureauUnavailable,
        );
        assert_eq!(status(&env, &g).await, GuarantorStatus::Consented);
        let panel = a.guarantors(&officer, &id).await.unwrap();
        assert!(panel.items[0].bureau_unavailable && panel.items[0].can_consent);
        assert_code(
            a.recheck_guarantor(&officer, &g).await,
            ErrorCode::GuarantorBureauUnavailable,
        );
        // No contract for an unchecked guarantor.
        assert_code(
            env.services
                .contracts()
                .generate_guarantee_contract(&officer, &id)
                .await,
            ErrorCode::GuarantorNotChecked,
        );
    })
    .await;
}

/// The ID numbers the Playwright journey records: the development bureau
/// is deterministic, so these stay accepted (and declined).
#[test]
fn the_journeys_guarantors_are_accepted_by_the_development_bureau() {
    let first: Vec<_> = ids(true).take(2).collect();
    assert_eq!(first, ["360721197503171009", "360721197503191026"]);
    assert_eq!(ids(false).next().unwrap(), "360721197503181012");
}

#[tokio::test]
async fn an_unsigned_loan_contract_is_voided_with_its_guarantee_contract() {
    on_each_backend(|env| async move {
        env.seed().await;
        let (a, c) = (env.services.applications(), env.services.contracts());
        let id = env
            .approved_application(LI, GuaranteeType::Guarantor, Fen::from_yuan(30_000), "g-3")
            .await;
        let officer = env.staff("officer1").await;
        let loan = c
            .contract_of_application(&officer, &id)
            .await
            .unwrap()
            .unwrap();
        let g_id = ids(true).next().unwrap();
        let g = a
            .record_guarantor(&officer, &id, person("张三", &g_id, "13900000041"))
            .await
            .unwrap();
        consent(&env, &g, "13900000041").await.unwrap();
        let guarantee = c.generate_guarantee_contract(&officer, &id).await.unwrap();

        // A reason is required, and only those who draw contracts up void them.
        assert_code(
            c.void_contract(&officer, &loan.id, " ").await,
            ErrorCode::ContractVoidReasonRequired,
        );
        let investigator = env.staff("investigator1").await;
        assert_code(
            c.void_contract(&investigator, &loan.id, "金额有误").await,
            ErrorCode::Forbidden,
        );
        // Voiding the loan contract voids the guarantee contract citing it.
        c.void_contract(&officer, &loan.id, "借款用途填写有误，重新生成")
            .await
            .unwrap();
        for k in [&loan.id, &guarantee.id] {
            assert_eq!(
                env.scalar_text(&format!("SELECT status FROM contracts WHERE id = '{k}'"))
                    .await,
                "voided"
            );
        }
        assert_code(
            c.void_contract(&officer, &loan.id, "再次作废").await,
            ErrorCode::ApplicationStateChanged,
        );
        // Drawn up again; once the guarantee is sealed, the loan contract stays.
        let again = c.generate_contract(&officer, &id).await.unwrap();
        assert_ne!(again.contract_no, loan.contract_no);
        c.generate_guarantee_contract(&officer, &id).await.unwrap();
        c.send_guarantee_signing_code(&officer, &g).await.unwrap();
        let code = env.last_sms_code("13900000041").await;
        let sealed = c.sign_guarantee(&officer, &g, &code, b"sig").await.unwrap();
        assert_eq!(sealed.status, ContractStatus::Signed);
        assert_code(
            c.void_contract(&officer, &again.id, "金额有误").await,
            ErrorCode::ContractAlreadySigned,
        );
        assert_code(
            c.void_contract(&officer, &sealed.id, "金额有误").await,
            ErrorCode::ContractAlreadySigned,
        );
    })
    .await;
}
