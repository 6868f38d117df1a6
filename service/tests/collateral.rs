//! Collateral (issue 16 item 2): a mortgage loan is paid out only once its
//! collateral is recorded, registered, in the vault and worth enough; the
//! title papers move under two people and go back out only after payoff;
//! each on SQLite and (when `PUHUI_TEST_PG_URL` is set) PostgreSQL.

mod common;

use common::{on_each_backend, today, Env};
use domain::collateral::{CollateralInput, CollateralKind, Custody, CustodyMove};
use domain::contract::ContractKind;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::product::GuaranteeType;
use domain::servicing::eod::PrepaymentRequest;
use domain::view::ContractStatus;
use service::ServiceError;

const LI: &str = "13800000001";

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got {v:?}"),
    }
}

fn house(certificate: &str, yuan: i64) -> CollateralInput {
    CollateralInput {
        kind: CollateralKind::House,
        owner_name: "李秀英".into(),
        certificate_no: certificate.into(),
        registration_no: None,
        valuation: Fen::from_yuan(yuan),
        valued_on: today().add_days(-30),
        valuer: "县诚信资产评估有限公司".into(),
        description: "两层砖混住宅，120 平方米".into(),
    }
}

/// 李秀英's mortgage application of `yuan`, approved, with a house worth
/// 300,000 recorded by the officer: (application, collateral, officer).
async fn house_recorded(
    env: &Env,
    yuan: i64,
    key: &str,
    certificate: &str,
) -> (String, String, service::auth::StaffActor) {
    let id = env
        .approved_application(LI, GuaranteeType::Mortgage, Fen::from_yuan(yuan), key)
        .await;
    let officer = env.staff("officer1").await;
    let c = env
        .services
        .applications()
        .record_collateral(&officer, &id, house(certificate, 300_000))
        .await
        .unwrap();
    (id, c, officer)
}

/// The version of a piece of collateral now.
async fn version(env: &Env, id: &str) -> i64 {
    env.scalar_i64(&format!(
        "SELECT version FROM collaterals WHERE id = '{id}'"
    ))
    .await
}

/// Signs the contract, binds an account and asks for the payout: the
/// payout's answer.
async fn try_payout(env: &Env, id: &str, key: &str) -> Result<String, ServiceError> {
    let s = &env.services;
    let desk = env.assignee(id, "disbursement").await;
    s.applications().disburse(&desk, id, key).await
}

#[tokio::test]
async fn a_mortgage_loan_waits_for_its_collateral_in_the_vault() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let amount = Fen::from_yuan(200_000);
        let id = env
            .approved_application(LI, GuaranteeType::Mortgage, amount, "mortgage-1")
            .await;
        // Signed and with a verified account, but nothing secures it yet.
        let li = env.customer(LI).await;
        let contract = s
            .contracts()
            .my_contracts(&li)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.application_id == id)
            .expect("contract");
        s.contracts()
            .send_signing_code(&li, &contract.id)
            .await
            .unwrap();
        let code = env.last_sms_code(LI).await;
        s.contracts()
            .sign_contract(&li, &contract.id, &code, b"png")
            .await
            .unwrap();
        let desk = env.assignee(&id, "disbursement").await;
        s.applications()
            .bind_account_for(&desk, &id, "6217000012345678907", "县农商银行")
            .await
            .unwrap();
        assert_code(
            try_payout(&env, &id, "p1").await,
            ErrorCode::CollateralMissing,
        );
        let view = s.applications().disbursement(&desk, &id).await.unwrap();
        assert_eq!(view.blocked_reason, Some(ErrorCode::CollateralMissing));

        // The officer records a house worth too little for the loan first.
        let officer = env.staff("officer1").await;
        let approver = env.staff("approver1").await;
        assert_code(
            s.applications()
                .record_collateral(
                    &approver,
                    &id,
                    house("赣(2026)不动产权第0000001号", 250_000),
                )
                .await,
            ErrorCode::Forbidden,
        );
        let mut stale = house("x", 60_000);
        stale.valued_on = today().add_days(-400);
        assert_code(
            s.applications()
                .record_collateral(&officer, &id, stale)
                .await,
            ErrorCode::CollateralValuationStale,
        );
        let small = s
            .applications()
            .record_collateral(&officer, &id, house("赣(2026)不动产权第0000001号", 250_000))
            .await
            .expect("recorded");
        // The same certificate cannot secure a second loan at once.
        let other = env
            .approved_application(
                LI,
                GuaranteeType::Mortgage,
                Fen::from_yuan(100_000),
                "mortgage-2",
            )
            .await;
        assert_code(
            s.applications()
                .record_collateral(
                    &officer,
                    &other,
                    house("赣(2026)不动产权第0000001号", 250_000),
                )
                .await,
            ErrorCode::CollateralAlreadyPledged,
        );
        assert_code(
            try_payout(&env, &id, "p2").await,
            ErrorCode::CollateralNotRegistered,
        );
        s.applications()
            .register_collateral(
                &officer,
                &small,
                version(&env, &small).await,
                "赣(2026)县不动产证明第0009876号",
            )
            .await
            .expect("registered");
        assert_code(
            try_payout(&env, &id, "p3").await,
            ErrorCode::CollateralNotInVault,
        );

        // Into the vault: asked by one, confirmed by another.
        s.applications()
            .ask_custody(
                &officer,
                &small,
                version(&env, &small).await,
                CustodyMove::In,
            )
            .await
            .expect("asked");
        assert_code(
            s.applications()
                .confirm_custody(&officer, &small, version(&env, &small).await, true)
                .await,
            ErrorCode::Forbidden,
        );
        let panel = s.applications().collateral(&desk, &id).await.unwrap();
        assert_eq!(panel.items[0].custody, Custody::InPending);
        assert!(panel.items[0].can_confirm);
        assert_eq!(
            panel.items[0].custody_asked_by.as_deref(),
            Some(officer.display_name.as_str())
        );
        s.applications()
            .confirm_custody(&desk, &small, version(&env, &small).await, true)
            .await
            .expect("in the vault");
        // 200,000 on 250,000 is 80 %, above the 70 % cap for a house.
        assert_code(
            try_payout(&env, &id, "p4").await,
            ErrorCode::CollateralLtvAboveCap,
        );
        let panel = s.applications().collateral(&officer, &id).await.unwrap();
        assert_eq!((panel.ltv_bp, panel.cap_bp), (Some(8_000), Some(7_000)));
        assert!(panel.required);

        // A second house, registered when recorded, makes it enough.
        let mut big = house("赣(2026)不动产权第0000002号", 100_000);
        big.registration_no = Some("赣(2026)县不动产证明第0009877号".into());
        let big = s
            .applications()
            .record_collateral(&officer, &id, big)
            .await
            .unwrap();
        s.applications()
            .ask_custody(&desk, &big, version(&env, &big).await, CustodyMove::In)
            .await
            .unwrap();
        // The one who asked cannot confirm.
        assert_code(
            s.applications()
                .confirm_custody(&desk, &big, version(&env, &big).await, true)
                .await,
            ErrorCode::CollateralSameCustodian,
        );
        // The branch head (same branch) confirms.
        let head = env.staff("head1").await;
        s.applications()
            .confirm_custody(&head, &big, version(&env, &big).await, true)
            .await
            .expect("confirmed by the branch head");

        // The borrower signs the mortgage contract naming both houses.
        assert_code(
            try_payout(&env, &id, "p5").await,
            ErrorCode::MortgageContractNotSigned,
        );
        let panel = s.applications().collateral(&officer, &id).await.unwrap();
        assert_eq!(panel.not_ready, Some(ErrorCode::MortgageContractNotSigned));
        assert!(panel.can_draw_contract && panel.contract_id.is_none());
        let drawn = s
            .contracts()
            .generate_mortgage_contract(&officer, &id)
            .await
            .expect("mortgage contract");
        assert_eq!(drawn.kind, ContractKind::Mortgage);
        assert_eq!(drawn.contract_no, format!("{}-DY1", contract.contract_no));
        assert!(drawn.text.contains("赣(2026)不动产权第0000001号"));
        assert!(drawn
            .text
            .contains("（2）房产，权证号赣(2026)不动产权第0000002号"));
        assert!(drawn.text.contains("赣(2026)县不动产证明第0009877号"));
        let mine = s.contracts().my_contracts(&li).await.unwrap();
        assert!(mine.iter().any(|k| k.id == drawn.id));
        s.contracts()
            .send_signing_code(&li, &drawn.id)
            .await
            .unwrap();
        let code = env.last_sms_code(LI).await;
        let signed = s
            .contracts()
            .sign_contract(&li, &drawn.id, &code, b"png")
            .await
            .unwrap();
        assert_eq!(signed.status, ContractStatus::Signed);
        // Signed, the collateral can no longer change under it.
        assert_code(
            s.applications()
                .record_collateral(&officer, &id, house("赣(2026)不动产权第0000003号", 50_000))
                .await,
            ErrorCode::ContractAlreadySigned,
        );
        let loan_id = try_payout(&env, &id, "p6").await.expect("paid out");

        // Out of the vault only after the payoff.
        assert_code(
            s.applications()
                .ask_custody(&officer, &big, version(&env, &big).await, CustodyMove::Out)
                .await,
            ErrorCode::LoanNotSettled,
        );
        let quote = s
            .servicing()
            .my_prepayment_quote(&li, &loan_id, PrepaymentRequest::Payoff)
            .await;
        // Paid out today: its first night has not run, nothing is owed in
        // interest yet; the counter takes the principal back.
        let quote = quote.expect("quote");
        s.servicing()
            .prepay_at_counter(
                &desk,
                &loan_id,
                PrepaymentRequest::Payoff,
                quote.total,
                "payoff",
            )
            .await
            .expect("paid off");
        s.applications()
            .ask_custody(&officer, &big, version(&env, &big).await, CustodyMove::Out)
            .await
            .expect("out asked");
        s.applications()
            .confirm_custody(&desk, &big, version(&env, &big).await, true)
            .await
            .expect("released");
        let panel = s.applications().collateral(&officer, &id).await.unwrap();
        let released: Vec<_> = panel
            .items
            .iter()
            .filter(|c| c.custody == Custody::Released)
            .collect();
        assert_eq!(released.len(), 1);
        // Released, the certificate may secure a new loan.
        s.applications()
            .record_collateral(
                &officer,
                &other,
                house("赣(2026)不动产权第0000002号", 100_000),
            )
            .await
            .expect("free again");
        let moves = env
            .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'collateral.%'")
            .await;
        assert!(moves >= 10, "{moves}");
    })
    .await;
}

#[tokio::test]
async fn a_stale_move_or_a_wrong_version_changes_nothing() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let (_, c, officer) =
            house_recorded(&env, 100_000, "m-race", "赣(2026)不动产权第0000100号").await;
        let v = version(&env, &c).await;
        // Two asks on the same version: one moves the papers.
        let (a, b) = tokio::join!(
            s.applications()
                .ask_custody(&officer, &c, v, CustodyMove::In),
            s.applications()
                .ask_custody(&officer, &c, v, CustodyMove::In),
        );
        assert_eq!(
            usize::from(a.is_ok()) + usize::from(b.is_ok()),
            1,
            "{a:?} {b:?}"
        );
        assert_eq!(
            env.scalar_text(&format!("SELECT custody FROM collaterals WHERE id = '{c}'"))
                .await,
            "in_pending"
        );
        assert_code(
            s.applications()
                .ask_custody(&officer, &c, v, CustodyMove::In)
                .await,
            ErrorCode::CollateralCustodyMoveInvalid,
        );
    })
    .await;
}

/// A tiny but real PNG (1×1, white).
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC";

/// Photos (押品照片): an image by its bytes only, sealed at rest, read back
/// whole by staff in scope; at most eight a piece; refused for a non-image,
/// an oversized upload or someone who does not record collateral.
#[tokio::test]
async fn collateral_photos_are_images_sealed_and_read_in_scope() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let (id, c, officer) =
            house_recorded(&env, 120_000, "m-photo", "赣(2026)不动产权第0000200号").await;
        let a = s.applications();
        let photo = a
            .add_collateral_photo(&officer, &c, " 房屋正面 ", PNG_1X1)
            .await
            .expect("photo");
        // Sealed at rest: the stored text is not the image.
        let stored = env
            .scalar_text(&format!(
                "SELECT data_sealed FROM collateral_photos WHERE id = '{photo}'"
            ))
            .await;
        assert!(!stored.contains(PNG_1X1));
        let head = env.staff("head1").await;
        let (ty, bytes) = a.collateral_photo(&head, &photo).await.expect("read");
        assert_eq!(ty, "image/png");
        assert!(bytes.starts_with(b"\x89PNG"));
        let panel = a.collateral(&officer, &id).await.unwrap();
        let p = &panel.items[0].photos;
        assert_eq!((p.len(), p[0].caption.as_str()), (1, "房屋正面"));

        // Not an image, however it is named; too long before decoding.
        use base64::Engine as _;
        let svg = base64::engine::general_purpose::STANDARD.encode(b"<svg onload=alert(1)/>");
        assert_code(
            a.add_collateral_photo(&officer, &c, "", &svg).await,
            ErrorCode::CollateralPhotoInvalid,
        );
        let huge = "A".repeat(domain::collateral::MAX_PHOTO_BYTES / 3 * 4 + 8);
        assert_code(
            a.add_collateral_photo(&officer, &c, "", &huge).await,
            ErrorCode::CollateralPhotoInvalid,
        );
        assert_code(
            a.add_collateral_photo(&env.staff("approver1").await, &c, "", PNG_1X1)
                .await,
            ErrorCode::Forbidden,
        );
        // Eight a piece.
        for _ in 1..domain::collateral::MAX_PHOTOS {
            a.add_collateral_photo(&officer, &c, "", PNG_1X1)
                .await
                .unwrap();
        }
        assert_code(
            a.add_collateral_photo(&officer, &c, "", PNG_1X1).await,
            ErrorCode::CollateralTooManyPhotos,
        );
        // The other bank's staff read nothing.
        let other = env.staff("risk2").await;
        assert_code(
            a.collateral_photo(&other, &photo).await,
            ErrorCode::Forbidden,
        );
        assert_eq!(
            env.scalar_i64(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'collateral.photo_added'"
            )
            .await,
            8
        );
    })
    .await;
}
