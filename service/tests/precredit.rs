//! Database tests of batch decisions — whole-village pre-credit jobs (run,
//! killed and taken over, paused and resumed), credit offers the customer
//! accepts, whitelist imports from Excel, and the simulation of a rule-set
//! version on past applications — each on SQLite and (when
//! `PUHUI_TEST_PG_URL` is set) PostgreSQL.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::{on_each_backend, today, Env};
use domain::error_code::ErrorCode;
use domain::identity::IdNumber;
use domain::money::Fen;
use domain::rules::lifecycle::{DecisionStage, RuleSetStatus};
use domain::rules::rule::{Action, RuleDef, Verdict};
use domain::rules::strategy::{StageBodyDef, StrategyDef};
use domain::servicing::credit_line::{LineKind, LineStatus};
use domain::view::{
    NewPrecreditJob, OfferTerms, PrecreditJobStatus, PrecreditResultFilter, PrecreditScope,
};
use service::applications::NewApplication;
use service::demo::{seed_demo, DemoConfig};
use service::pfi::Field;
use service::precredit::PrecreditOptions;
use service::risk::RuleSetDraft;
use service::{DevBureauProvider, ServiceError, Services};

/// The services with a development bureau answering bulk pulls after `ms`.
fn with_bureau(env: &Env, ms: u64) -> Services {
    let mut s = env.services.clone().with_bureau(Arc::new(
        DevBureauProvider::new()
            .with_latency(Duration::ZERO)
            .with_bulk_latency(Duration::from_millis(ms)),
    ));
    s.config.bureau_timeout_ms = 300;
    s
}

async fn seed(env: &Env) {
    seed_demo(
        &env.db,
        &env.services.config,
        &DemoConfig {
            seed: 7,
            customers: 160,
            today: today(),
            portfolio: false,
        },
    )
    .await
    .expect("demo seed");
}

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
    }
}

fn opts(chunk: usize) -> PrecreditOptions {
    PrecreditOptions {
        chunk_size: chunk,
        ..PrecreditOptions::default()
    }
}

async fn bank(env: &Env, code: &str) -> String {
    env.scalar_text(&format!(
        "SELECT id FROM organisations WHERE code = '{code}'"
    ))
    .await
}

/// The village of branch BJ01-01 with the most households.
async fn busiest_village(env: &Env) -> String {
    env.scalar_text(
        "SELECT v.id FROM villages v JOIN households h ON h.village_id = v.id \
         JOIN organisations g ON g.id = v.grid_id \
         WHERE g.code LIKE 'BJ01-01-%' GROUP BY v.id ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .await
}

/// A village job with the bureau, made by `by` and run to the end.
async fn village_job(
    s: &Services,
    by: &service::auth::StaffActor,
    village: &str,
) -> domain::view::PrecreditJobView {
    let job = s
        .precredit()
        .create_precredit_job(
            by,
            &NewPrecreditJob {
                scope: PrecreditScope::Village(village.to_string()),
                product_code: "HNED".into(),
                use_bureau: true,
            },
        )
        .await
        .unwrap();
    s.precredit()
        .run_precredit_job(&job.id, &opts(50), &|_| {})
        .await
        .unwrap()
}

/// Households of bank BJ01 (every village under it).
async fn bank_households(env: &Env) -> i64 {
    env.scalar_i64(
        "SELECT COUNT(*) FROM households h JOIN villages v ON v.id = h.village_id \
         JOIN organisations g ON g.id = v.grid_id \
         WHERE g.path LIKE (SELECT path FROM organisations WHERE code = 'BJ01') || '%'",
    )
    .await
}

#[tokio::test]
async fn a_bank_wide_job_decides_every_household_once_even_when_killed_and_taken_over() {
    on_each_backend(|env| async move {
        seed(&env).await;
        let s = with_bureau(&env, 0);
        let admin = env.staff("admin").await;
        let households = bank_households(&env).await;
        assert!(households > 20, "{households}");
        let job = s
            .precredit().create_precredit_job(
                &admin,
                &NewPrecreditJob {
                    scope: PrecreditScope::Organisation(bank(&env, "BJ01").await),
                    product_code: "HNED".into(),
                    use_bureau: true,
                },
            )
            .await
            .expect("create");
        assert_eq!((job.status, job.total), (PrecreditJobStatus::Queued, households));

        // Killed after two chunks of 7: those are committed, the lease stays.
        let killed = s
            .precredit().run_precredit_job(
                &job.id,
                &PrecreditOptions {
                    stop_after_chunks: Some(2),
                    ..opts(7)
                },
                &|_| {},
            )
            .await
            .expect("first run");
        assert_eq!((killed.status, killed.done), (PrecreditJobStatus::Running, 14));
        // A second runner cannot take a live lease...
        assert_code(
            s.precredit().run_precredit_job(&job.id, &opts(7), &|_| {}).await,
            ErrorCode::PrecreditJobBusy,
        );
        // ...but takes over a stale one, and carries on after the cursor.
        env.clock.advance_secs(180);
        let seen = std::sync::Mutex::new(Vec::new());
        let done = s
            .precredit().run_precredit_job(&job.id, &opts(7), &|p| {
                seen.lock().unwrap().push(p.done);
            })
            .await
            .expect("take over");
        assert_eq!(done.status, PrecreditJobStatus::Completed);
        assert_eq!(done.done, households);
        assert_eq!(seen.lock().unwrap().first(), Some(&14));
        assert_eq!(
            done.approved + done.referred + done.rejected + done.skipped,
            households
        );
        // One result per household, nobody decided twice.
        let (rows, distinct) = (
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM precredit_results WHERE job_id = '{}'",
                job.id
            ))
            .await,
            env.scalar_i64(&format!(
                "SELECT COUNT(DISTINCT household_id) FROM precredit_results WHERE job_id = '{}'",
                job.id
            ))
            .await,
        );
        assert_eq!((rows, distinct), (households, households));
        // With bulk reports some households are pre-approved, with a limit,
        // a rate and the live version; nobody is approved without a report.
        assert!(done.approved > 0, "{done:?}");
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM precredit_results WHERE job_id = '{}' AND outcome = 'approve' \
                 AND (limit_fen IS NULL OR rate_bp IS NULL OR rule_set_version IS NULL \
                   OR bureau NOT IN ('pulled', 'cached'))",
                job.id
            ))
            .await,
            0
        );
        // A bulk pull per chunk, recorded; each chunk audited.
        assert!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM precredit_bureau_pulls WHERE job_id = '{}' AND provider = 'DEV'",
                job.id
            ))
            .await
                >= households / 7
        );
        for action in ["precredit.job_created", "precredit.job_started", "precredit.chunk_committed", "precredit.job_completed"] {
            assert!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND entity_id = '{}'",
                    job.id
                ))
                .await
                    > 0,
                "{action}"
            );
        }
        let chain = s.audit().verify_audit_chain(&admin).await.unwrap();
        assert!(chain.valid);

        // A finished job is not run again.
        let again = s.precredit().run_precredit_job(&job.id, &opts(7), &|_| {}).await.unwrap();
        assert_eq!(again.done, households);

        // The officer of a branch sees only their branch's results of it.
        let officer = env.staff("officer1").await;
        let page = s
            .precredit().precredit_results(
                &officer,
                &job.id,
                &PrecreditResultFilter {
                    limit: 500,
                    ..PrecreditResultFilter::default()
                },
            )
            .await
            .unwrap();
        let all = s
            .precredit().precredit_results(
                &admin,
                &job.id,
                &PrecreditResultFilter {
                    limit: 500,
                    ..PrecreditResultFilter::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(all.len() as i64, households);
        assert!(!page.is_empty() && page.len() < all.len());
    })
    .await;
}

#[tokio::test]
async fn without_the_bureau_every_household_refers() {
    on_each_backend(|env| async move {
        seed(&env).await;
        let s = with_bureau(&env, 0);
        let head = env.staff("head1").await;
        let village = busiest_village(&env).await;
        let job = s
            .precredit().create_precredit_job(
                &head,
                &NewPrecreditJob {
                    scope: PrecreditScope::Village(village.clone()),
                    product_code: "HNED".into(),
                    use_bureau: false,
                },
            )
            .await
            .unwrap();
        let done = s.precredit().run_precredit_job(&job.id, &opts(100), &|_| {}).await.unwrap();
        assert!(done.total > 0);
        assert_eq!(done.referred, done.total, "{done:?}");
        let results = s
            .precredit().precredit_results(&head, &job.id, &PrecreditResultFilter::default())
            .await
            .unwrap();
        assert!(results.iter().all(|r| r.reason_codes.contains(&"bureau_unavailable".to_string())
            && r.bureau == "not_asked"
            && !r.can_offer));
        // Outside the village's branch: no job there.
        let other = env.staff("head2").await;
        if !other.covers(&env.scalar_text(&format!("SELECT g.path FROM villages v JOIN organisations g ON g.id = v.grid_id WHERE v.id = '{village}'")).await) {
            assert_code(
                s.precredit().create_precredit_job(
                    &other,
                    &NewPrecreditJob {
                        scope: PrecreditScope::Village(village),
                        product_code: "HNED".into(),
                        use_bureau: false,
                    },
                )
                .await,
                ErrorCode::Forbidden,
            );
        }
        // A bank-wide job is beyond a branch head; an unknown product is refused.
        assert_code(
            s.precredit().create_precredit_job(
                &head,
                &NewPrecreditJob {
                    scope: PrecreditScope::Organisation(bank(&env, "BJ01").await),
                    product_code: "HNED".into(),
                    use_bureau: true,
                },
            )
            .await,
            ErrorCode::Forbidden,
        );
        let grid = env
            .scalar_text("SELECT id FROM organisations WHERE code = 'BJ01-01-01'")
            .await;
        assert_code(
            s.precredit().create_precredit_job(
                &head,
                &NewPrecreditJob {
                    scope: PrecreditScope::Organisation(grid),
                    product_code: "NOPE".into(),
                    use_bureau: true,
                },
            )
            .await,
            ErrorCode::PrecreditProductUnknown,
        );
    })
    .await;
}

#[tokio::test]
async fn a_paused_job_stops_at_a_chunk_boundary_and_resumes_where_it_stopped() {
    on_each_backend(|env| async move {
        seed(&env).await;
        // Each chunk's bulk pull takes 400 ms: time to ask for a pause.
        let s = with_bureau(&env, 400);
        let admin = env.staff("admin").await;
        let households = bank_households(&env).await;
        let job = s
            .precredit()
            .create_precredit_job(
                &admin,
                &NewPrecreditJob {
                    scope: PrecreditScope::Organisation(bank(&env, "BJ01").await),
                    product_code: "HNED".into(),
                    use_bureau: true,
                },
            )
            .await
            .unwrap();
        // Paused while queued: at once.
        let paused = s
            .precredit()
            .pause_precredit_job(&admin, &job.id)
            .await
            .unwrap();
        assert_eq!(paused.status, PrecreditJobStatus::Paused);
        assert!(paused.can_resume && !paused.can_pause);
        assert_eq!(
            s.precredit()
                .run_precredit_job(&job.id, &opts(5), &|_| {})
                .await
                .unwrap()
                .done,
            0
        );
        let resumed = s
            .precredit()
            .resume_precredit_job(&admin, &job.id)
            .await
            .unwrap();
        assert_eq!(resumed.status, PrecreditJobStatus::Queued);

        // Paused while running: the runner stops after the chunk it is in.
        let runner = {
            let s = s.clone();
            let id = job.id.clone();
            tokio::spawn(async move {
                s.precredit()
                    .run_precredit_job(&id, &opts(5), &|_| {})
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(150)).await;
        let asked = s
            .precredit()
            .pause_precredit_job(&admin, &job.id)
            .await
            .unwrap();
        assert_eq!(asked.requested.as_deref(), Some("pause"));
        assert_code(
            s.precredit().pause_precredit_job(&admin, &job.id).await,
            ErrorCode::ApplicationStateChanged,
        );
        let stopped = runner.await.unwrap().unwrap();
        assert_eq!(stopped.status, PrecreditJobStatus::Paused);
        assert_eq!(stopped.done, 5, "one chunk");

        // Resumed: the rest, each household once.
        s.precredit()
            .resume_precredit_job(&admin, &job.id)
            .await
            .unwrap();
        let s0 = with_bureau(&env, 0);
        let done = s0
            .precredit()
            .run_precredit_job(&job.id, &opts(5), &|_| {})
            .await
            .unwrap();
        assert_eq!(done.status, PrecreditJobStatus::Completed);
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(DISTINCT household_id) FROM precredit_results WHERE job_id = '{}'",
                job.id
            ))
            .await,
            households
        );
        assert_eq!(done.done, households);

        // Cancelled: at once when not running; a finished job cannot be.
        assert_code(
            s.precredit().cancel_precredit_job(&admin, &job.id).await,
            ErrorCode::ApplicationStateChanged,
        );
        let other = s
            .precredit()
            .create_precredit_job(
                &admin,
                &NewPrecreditJob {
                    scope: PrecreditScope::Organisation(bank(&env, "BJ02").await),
                    product_code: "HNED".into(),
                    use_bureau: true,
                },
            )
            .await
            .unwrap();
        let cancelled = s
            .precredit()
            .cancel_precredit_job(&admin, &other.id)
            .await
            .unwrap();
        assert_eq!(cancelled.status, PrecreditJobStatus::Cancelled);
        // Officers see their jobs; a customer-side role cannot start one.
        assert_code(
            s.precredit()
                .pause_precredit_job(&env.staff("approver1").await, &other.id)
                .await,
            ErrorCode::Forbidden,
        );
    })
    .await;
}

#[tokio::test]
async fn an_officer_offers_a_pre_approved_limit_and_the_customer_accepts_it() {
    on_each_backend(|env| async move {
        seed(&env).await;
        let s = with_bureau(&env, 0);
        let admin = env.staff("admin").await;
        let job = s
            .precredit()
            .create_precredit_job(
                &admin,
                &NewPrecreditJob {
                    scope: PrecreditScope::Organisation(bank(&env, "BJ01").await),
                    product_code: "HNED".into(),
                    use_bureau: true,
                },
            )
            .await
            .unwrap();
        s.precredit()
            .run_precredit_job(&job.id, &opts(50), &|_| {})
            .await
            .unwrap();
        let officer = env.staff("officer1").await;
        let results = s
            .precredit()
            .precredit_results(
                &officer,
                &job.id,
                &PrecreditResultFilter {
                    outcome: Some("approve".into()),
                    limit: 500,
                    ..PrecreditResultFilter::default()
                },
            )
            .await
            .unwrap();
        let r = results
            .iter()
            .find(|r| r.can_offer)
            .expect("an approved household in scope");
        let approved = r.limit.expect("limit");

        // Not above the pre-approved limit.
        assert_code(
            s.precredit()
                .offer_precredit(
                    &officer,
                    &job.id,
                    &r.subject_key,
                    &OfferTerms {
                        limit: Some(approved + Fen::from_yuan(1)),
                        ..OfferTerms::default()
                    },
                )
                .await,
            ErrorCode::OfferAbovePreApproved,
        );
        let offer = s
            .precredit()
            .offer_precredit(
                &officer,
                &job.id,
                &r.subject_key,
                &OfferTerms {
                    limit: Some(approved),
                    ..OfferTerms::default()
                },
            )
            .await
            .expect("offer");
        assert_eq!((offer.status.as_str(), offer.limit), ("offered", approved));
        // Once per result.
        assert_code(
            s.precredit()
                .offer_precredit(&officer, &job.id, &r.subject_key, &OfferTerms::default())
                .await,
            ErrorCode::OfferAlreadyOpen,
        );

        // The customer sees it and accepts: an active line of that limit.
        let customer = s
            .auth()
            .customer_actor(r.customer_id.as_deref().unwrap())
            .await
            .unwrap();
        let mine = s.precredit().my_offers(&customer).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].id, offer.id);
        let lines_before = s.servicing().my_lines(&customer).await.unwrap().len();
        let line = s
            .precredit()
            .accept_offer(&customer, &offer.id, offer.version)
            .await
            .expect("accept");
        assert_eq!(
            (line.status, line.limit, line.kind),
            (LineStatus::Active, approved, LineKind::Revolving)
        );
        assert_eq!(line.expires_on, today().add_months(12));
        assert_eq!(
            s.servicing().my_lines(&customer).await.unwrap().len(),
            lines_before + 1
        );
        // Twice is refused, nothing granted twice.
        assert_code(
            s.precredit()
                .accept_offer(&customer, &offer.id, offer.version)
                .await,
            ErrorCode::ApplicationStateChanged,
        );
        let after = s.precredit().my_offers(&customer).await.unwrap();
        assert_eq!(after[0].status, "accepted");
        assert_eq!(after[0].credit_line_id.as_deref(), Some(line.id.as_str()));
        // Someone else's offer is not found.
        let other = env.customer("13800000001").await;
        if other.customer_id != customer.customer_id {
            assert_code(
                s.precredit().decline_offer(&other, &offer.id, 2).await,
                ErrorCode::NotFound,
            );
        }

        // The rest of the approved results in scope, in bulk.
        let bulk = s
            .precredit()
            .offer_precredit_results(&officer, &job.id, &OfferTerms::default())
            .await
            .unwrap();
        let in_scope = results
            .iter()
            .filter(|r| r.limit.is_some_and(|l| l.get() > 0))
            .count() as i64;
        assert_eq!(bulk.offered + bulk.skipped, in_scope);
        assert_eq!(bulk.skipped, 1, "the one already offered");
        let again = s
            .precredit()
            .offer_precredit_results(&officer, &job.id, &OfferTerms::default())
            .await
            .unwrap();
        assert_eq!(again.offered, 0);
        if let Some(next) = results.iter().find(|x| x.subject_key != r.subject_key) {
            let c = s
                .auth()
                .customer_actor(next.customer_id.as_deref().unwrap())
                .await
                .unwrap();
            let o = s.precredit().my_offers(&c).await.unwrap().remove(0);
            let declined = s
                .precredit()
                .decline_offer(&c, &o.id, o.version)
                .await
                .unwrap();
            assert_eq!(declined.status, "declined");
            assert_code(
                s.precredit()
                    .accept_offer(&c, &o.id, declined.version)
                    .await,
                ErrorCode::ApplicationStateChanged,
            );
        }
        // An offer past its date cannot be accepted.
        if let Some(third) = results
            .iter()
            .skip(2)
            .find(|x| x.subject_key != r.subject_key)
        {
            let c = s
                .auth()
                .customer_actor(third.customer_id.as_deref().unwrap())
                .await
                .unwrap();
            let o = s.precredit().my_offers(&c).await.unwrap().remove(0);
            env.clock.advance_secs(31 * 86_400);
            assert_eq!(
                s.precredit().my_offers(&c).await.unwrap()[0].status,
                "expired"
            );
            assert_code(
                s.precredit().accept_offer(&c, &o.id, o.version).await,
                ErrorCode::OfferExpired,
            );
        }
        for action in [
            "credit_offer.made",
            "credit_offer.accepted",
            "credit_line.granted",
            "credit_offer.made_in_bulk",
        ] {
            assert!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await
                    > 0,
                "{action}"
            );
        }
    })
    .await;
}

/// A whitelist with good and bad rows, as a bank would send it.
fn whitelist_xlsx(rows: &[[&str; 5]], limit_as_number: &[usize]) -> Vec<u8> {
    whitelist_book(rows, limit_as_number)
        .save_to_buffer()
        .unwrap()
}

/// The workbook of [`whitelist_xlsx`], to add to before saving.
fn whitelist_book(rows: &[[&str; 5]], limit_as_number: &[usize]) -> rust_xlsxwriter::Workbook {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["身份证号", "姓名", "手机号", "村", "建议额度（元）"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, v) in r.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            if c == 4 && limit_as_number.contains(&i) {
                sheet
                    .write_number(row, c as u16, v.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                sheet.write_string(row, c as u16, *v).unwrap();
            }
        }
    }
    book
}

#[tokio::test]
async fn a_whitelist_imports_its_good_rows_and_reports_each_bad_one() {
    on_each_backend(|env| async move {
        seed(&env).await;
        let s = with_bureau(&env, 0);
        let officer = env.staff("officer1").await;
        // An existing customer of officer1's branch, with a household in a village.
        let existing = env
            .scalar_text(
                "SELECT c.id_number_sealed || '|' || c.name || '|' || c.phone_sealed || '|' || v.township || v.name \
                 FROM customers c JOIN households h ON h.id = c.household_id \
                 JOIN villages v ON v.id = h.village_id JOIN organisations g ON g.id = v.grid_id \
                 WHERE g.code LIKE 'BJ01-01-%' AND c.relation_to_head = 'head' \
                 ORDER BY c.id LIMIT 1",
            )
            .await;
        let e: Vec<&str> = existing.split('|').collect();
        let (e0, e2) = (env.open(Field::IdNumber, e[0]), env.open(Field::Phone, e[2]));
        let e = [e0.as_str(), e[1], e2.as_str(), e[3]];
        let village = e[3].to_string();
        let new_id = IdNumber::from_parts("220102", domain::date::Date::new(1980, 3, 9).unwrap(), 123).unwrap();
        let mut bad_checksum = new_id.as_str().to_string();
        let last = bad_checksum.pop().unwrap();
        bad_checksum.push(if last == '1' { '2' } else { '1' });
        let other_id = IdNumber::from_parts("220102", domain::date::Date::new(1975, 7, 1).unwrap(), 124).unwrap();
        let rows: Vec<[&str; 5]> = vec![
            [e[0], e[1], e[2], &village, "80000"],                          // 2: existing, good
            [new_id.as_str(), "赵新民", "13912345678", &village, "60,000"], // 3: new, good
            [&bad_checksum, "钱多多", "13912345679", &village, "50000"],    // 4: checksum
            [other_id.as_str(), "孙立", "13912345680", "不存在村", "50000"],  // 5: unknown village
            [other_id.as_str(), "孙立", "13912345680", &village, "五万"],     // 6: not a number (and dup of 5's id)
            [new_id.as_str(), "赵新民", "13912345681", &village, "60000"],  // 7: duplicate id
            ["", "", "", "", ""],                                            // 8: blank: skipped
            [e[0], "张冒名", e[2], &village, "50000"],                        // 9: name mismatch (and dup)
            ["110101199003070000", "周", "1391234", &village, "9000000"],   // 10: checksum, phone, over max
        ];
        let bytes = whitelist_xlsx(&rows, &[0]);
        let report = s
            .precredit().import_whitelist(&officer, "名单.xlsx", &bytes, "HNED", true)
            .await
            .expect("import");
        assert_eq!(report.rows_read, 8, "the blank row is not a row");
        assert_eq!((report.imported, report.new_customers), (2, 1));
        assert_eq!(report.bad_rows, 6);
        let codes = |row: u32| -> Vec<&str> {
            report.problems.iter().filter(|p| p.row == row).map(|p| p.code.as_str()).collect()
        };
        assert_eq!(codes(4), ["id_checksum"]);
        assert_eq!(codes(5), ["whitelist_unknown_village"]);
        assert!(codes(6).contains(&"whitelist_limit_not_number") && codes(6).contains(&"whitelist_duplicate_row"));
        assert_eq!(codes(7), ["whitelist_duplicate_row"]);
        assert!(codes(9).contains(&"whitelist_duplicate_row"));
        assert!(codes(10).contains(&"id_checksum") && codes(10).contains(&"phone_invalid") && codes(10).contains(&"whitelist_limit_above_product_max"));
        assert!(codes(2).is_empty() && codes(3).is_empty() && codes(8).is_empty());
        // The ID numbers in the report are masked; the column is named as in the file.
        let p4 = report.problems.iter().find(|p| p.row == 4).unwrap();
        assert_eq!(p4.column.as_deref(), Some("身份证号"));
        assert!(p4.value.contains('*'));
        // Stored with the job, as reported.
        assert_eq!(s.precredit().whitelist_problems(&officer, &report.job_id).await.unwrap(), report.problems);

        // The job decides the two, each capped at the suggested limit.
        let done = s.precredit().run_precredit_job(&report.job_id, &opts(10), &|_| {}).await.unwrap();
        assert_eq!((done.kind.as_str(), done.total, done.done), ("whitelist", 2, 2));
        let results = s
            .precredit().precredit_results(&officer, &report.job_id, &PrecreditResultFilter::default())
            .await
            .unwrap();
        assert_eq!(results.len(), 2);
        for r in &results {
            assert!(r.suggested_limit.is_some());
            if let (Some(l), Some(w)) = (r.limit, r.suggested_limit) {
                assert!(l <= w);
            }
        }
        // The new person is a customer now, who can sign in with the phone.
        let new_customer = env
            .scalar_text(&format!(
                "SELECT id FROM customers WHERE id_number_idx = '{}'",
                env.id_idx(new_id.as_str())
            ))
            .await;
        let c = s.auth().customer_actor(&new_customer).await.unwrap();
        assert_eq!(c.phone_masked, "139****5678");

        // A file without a required column, or not a spreadsheet, is refused whole.
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write_string(0, 0, "姓名").unwrap();
        let err = s
            .precredit().import_whitelist(&officer, "x.xlsx", &book.save_to_buffer().unwrap(), "HNED", true)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::WhitelistMissingColumn);
        assert!(err.params().contains(&("column".to_string(), "身份证号".to_string())));
        assert_code(
            s.precredit().import_whitelist(&officer, "x.xlsx", b"not a spreadsheet", "HNED", true).await,
            ErrorCode::WhitelistUnreadable,
        );
    })
    .await;
}

/// The review's parser bombs: a ~1 KB sheet with cells at A1 and XFD1048576
/// made the parser allocate a 17-billion-cell range, and an archive part of
/// zeros inflates a thousandfold. Both are refused before anything big is
/// built.
#[tokio::test]
async fn a_whitelist_too_big_to_parse_is_refused_before_parsing() {
    on_each_backend(|env| async move {
        seed(&env).await;
        let s = with_bureau(&env, 0);
        let officer = env.staff("officer1").await;

        let mut book = whitelist_book(&[], &[]);
        book.worksheet_from_index(0)
            .unwrap()
            .write_string(1_048_575, 16_383, "x")
            .unwrap();
        let wide = book.save_to_buffer().unwrap();
        assert!(wide.len() < 16 * 1024, "{}", wide.len());
        let err = s
            .precredit()
            .import_whitelist(&officer, "wide.xlsx", &wide, "HNED", true)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::WhitelistTooManyColumns);

        // A real sheet with a 80 MB part of zeros beside it.
        let good = whitelist_xlsx(&[], &[]);
        let mut source = zip::ZipArchive::new(std::io::Cursor::new(good)).unwrap();
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..source.len() {
            out.raw_copy_file(source.by_index_raw(i).unwrap()).unwrap();
        }
        out.start_file::<_, ()>("xl/media/zeros.bin", zip::write::FileOptions::default())
            .unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..80 {
            std::io::Write::write_all(&mut out, &zeros).unwrap();
        }
        let bomb = out.finish().unwrap().into_inner();
        assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
        let err = s
            .precredit()
            .import_whitelist(&officer, "bomb.xlsx", &bomb, "HNED", true)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::WhitelistTooLarge);
    })
    .await;
}

/// 惠农e贷 of bank BJ01.
async fn hned(env: &Env) -> String {
    env.scalar_text(
        "SELECT p.id FROM products p JOIN organisations b ON b.id = p.bank_id \
         WHERE b.code = 'BJ01' AND p.code = 'HNED'",
    )
    .await
}

#[tokio::test]
async fn a_draft_is_simulated_on_past_applications_before_it_is_submitted() {
    on_each_backend(|env| async move {
        seed(&env).await;
        let s = with_bureau(&env, 0);
        let product = hned(&env).await;
        // Eight customers of BJ01 apply: each pre-screen is stored.
        let ids: Vec<String> = {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT id FROM customers WHERE bank_id = (SELECT id FROM organisations WHERE code = 'BJ01') \
                 ORDER BY id LIMIT 8",
            )
            .fetch_all(&env.db.pool)
            .await
            .unwrap();
            rows.into_iter().map(|r| r.0).collect()
        };
        for (i, id) in ids.iter().enumerate() {
            let c = s.auth().customer_actor(id).await.unwrap();
            s.applications().submit_application(
                &c,
                NewApplication {
                    repayment_method: None,
                    guarantee_type: None,
                    product_id: product.clone(),
                    amount: Fen::from_yuan(50_000),
                    term_months: 12,
                    purpose: "购买化肥种子".into(),
                    consent: true,
                    idempotency_key: format!("sim-{i}"),
                },
            )
            .await
            .unwrap();
        }
        let risk1 = env.staff("risk1").await;
        let live = s
            .risk().list_rule_sets(&risk1, Some(&product))
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.stage == DecisionStage::PreScreen && r.status == RuleSetStatus::Live)
            .unwrap();
        let def: StrategyDef = s.risk().rule_set(&risk1, &live.id).await.unwrap().definition;

        // The live rules themselves, as a draft: nothing changes.
        let same = s
            .risk().save_rule_set_draft(
                &risk1,
                RuleSetDraft {
                    id: None,
                    expected_row_version: None,
                    product_id: product.clone().into(),
                    stage: DecisionStage::PreScreen,
                    definition: def.clone(),
                    note: String::new(),
                },
            )
            .await
            .unwrap();
        let r = s.risk().simulate_rule_set(&risk1, &same.id, 100).await.unwrap();
        assert_eq!((r.applications, r.changed), (8, 0), "{r:?}");
        assert!(r.rule_hits.iter().all(|h| h.simulated == h.baseline), "{:?}", r.rule_hits);

        // A stricter age rule: everyone over 30 is rejected.
        let mut stricter = def.clone();
        match &mut stricter.stages[2].body {
            StageBodyDef::Rules(rs) => rs.rules.push(RuleDef {
                id: "age_over_30".into(),
                name_zh: "年龄超过30岁".into(),
                name_en: "over 30".into(),
                condition: "age > 30".into(),
                action: Action::Reject,
                reason_code: "age_out_of_range".into(),
            }),
            other => panic!("{other:?}"),
        }
        let draft = s
            .risk().save_rule_set_draft(
                &risk1,
                RuleSetDraft {
                    id: None,
                    expected_row_version: None,
                    product_id: product.clone().into(),
                    stage: DecisionStage::PreScreen,
                    definition: stricter,
                    note: String::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(draft.status, RuleSetStatus::Draft);
        let r = s.risk().simulate_rule_set(&risk1, &draft.id, 100).await.unwrap();
        let over_30 = env
            .scalar_i64(&format!(
                "SELECT COUNT(*) FROM decisions d JOIN applications a ON a.id = d.application_id \
                 JOIN customers c ON c.id = a.customer_id \
                 WHERE a.product_id = '{product}' AND d.stage = 'pre_screen' AND d.outcome <> 'reject' \
                   AND c.birth_date < '{}'",
                today().add_days(-(31 * 365 + 8))
            ))
            .await;
        assert_eq!(r.applications, 8);
        let hit = r.rule_hits.iter().find(|h| h.rule_id == "age_over_30").expect("hit count");
        assert_eq!(hit.baseline, 0);
        assert!(hit.simulated >= over_30 && hit.simulated > 0, "{hit:?}");
        let to_reject: i64 = r.flips.iter().filter(|f| f.to == Verdict::Reject).map(|f| f.count).sum();
        assert!(to_reject >= over_30, "{r:?}");
        assert!(r.diffs.iter().all(|d| d.after.outcome == Verdict::Reject
            && d.after.reason_codes.contains(&"age_out_of_range".to_string())));
        assert_eq!(r.changed as usize, r.diffs.len());
        // Nothing was stored or changed by simulating.
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM decisions WHERE stage = 'pre_screen'").await,
            8
        );
        // Only risk managers (and admins) simulate.
        assert_code(
            s.risk().simulate_rule_set(&env.staff("officer1").await, &draft.id, 10).await,
            ErrorCode::Forbidden,
        );
        let seen: HashSet<&str> = r.diffs.iter().map(|d| d.application_id.as_str()).collect();
        assert_eq!(seen.len(), r.diffs.len());

        // The test bench: the eight applications to pick from, and the draft
        // tried on a changed one gives that change with its trace.
        let samples = s.risk().rule_set_samples(&risk1, &draft.id, 50).await.unwrap();
        assert_eq!(samples.len(), 8);
        assert!(samples.iter().all(|x| x.customer_name.contains('*')), "{samples:?}");
        let changed = &r.diffs[0];
        let trial = s
            .risk().try_rule_set(&risk1, &draft.id, &changed.application_id)
            .await
            .unwrap();
        assert_eq!(trial.baseline, changed.before);
        assert_eq!(trial.result.outcome, changed.after.outcome);
        assert_eq!(trial.result.reason_codes, changed.after.reason_codes);
        assert_eq!(trial.result.rule_set_version, Some(draft.version));
        assert!(
            trial.result.trace.iter().any(|l| l.text_zh.contains("年龄超过30岁")),
            "{:?}",
            trial.result.trace
        );
        // The ID number is masked in what the bench shows.
        let id = trial.result.features.iter().find(|f| f.name == "id_number").unwrap();
        assert!(format!("{:?}", id.value).contains('*'), "{id:?}");
        assert_code(
            s.risk().try_rule_set(&risk1, &draft.id, "no-such-application").await,
            ErrorCode::NotFound,
        );
        assert_code(
            s.risk().try_rule_set(&env.staff("officer1").await, &draft.id, &changed.application_id).await,
            ErrorCode::Forbidden,
        );
    })
    .await;
}

#[tokio::test]
async fn a_cancelled_job_stops_at_a_chunk_boundary_and_keeps_what_it_wrote() {
    on_each_backend(|env| async move {
        seed(&env).await;
        let s = with_bureau(&env, 400);
        let admin = env.staff("admin").await;
        let job = s
            .precredit()
            .create_precredit_job(
                &admin,
                &NewPrecreditJob {
                    scope: PrecreditScope::Organisation(bank(&env, "BJ01").await),
                    product_code: "HNED".into(),
                    use_bureau: true,
                },
            )
            .await
            .unwrap();
        let runner = {
            let s = s.clone();
            let id = job.id.clone();
            tokio::spawn(async move {
                s.precredit()
                    .run_precredit_job(&id, &opts(4), &|_| {})
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(150)).await;
        let asked = s
            .precredit()
            .cancel_precredit_job(&admin, &job.id)
            .await
            .unwrap();
        assert_eq!(asked.requested.as_deref(), Some("cancel"));
        assert!(!asked.can_cancel);
        let stopped = runner.await.unwrap().unwrap();
        assert_eq!(
            (stopped.status, stopped.done),
            (PrecreditJobStatus::Cancelled, 4)
        );
        assert!(stopped.finished_at.is_some());
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM precredit_results WHERE job_id = '{}'",
                job.id
            ))
            .await,
            4
        );
        // Final: neither resumed nor run again. Every bulk pull made, the
        // ones read ahead included, is on record.
        assert_code(
            s.precredit().resume_precredit_job(&admin, &job.id).await,
            ErrorCode::ApplicationStateChanged,
        );
        assert_eq!(
            s.precredit()
                .run_precredit_job(&job.id, &opts(4), &|_| {})
                .await
                .unwrap()
                .done,
            4
        );
        let pulled = env
            .scalar_i64(&format!(
                "SELECT CAST(COALESCE(SUM(subjects), 0) AS BIGINT) FROM precredit_bureau_pulls \
                 WHERE job_id = '{}'",
                job.id
            ))
            .await;
        assert!(pulled >= 4, "{pulled}");
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'precredit.bureau_pulled' \
                 AND entity_id = '{}'",
                job.id
            ))
            .await,
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM precredit_bureau_pulls WHERE job_id = '{}'",
                job.id
            ))
            .await
        );
    })
    .await;
}

#[tokio::test]
async fn an_officer_picks_a_village_of_his_area_and_the_job_covers_its_households() {
    on_each_backend(|env| async move {
        seed(&env).await;
        let s = with_bureau(&env, 0);
        let officer = env.staff("officer1").await;
        let villages = s
            .precredit()
            .precredit_villages(&officer)
            .await
            .expect("villages");
        assert!(!villages.is_empty());
        // Only villages under the officer's branch, each with its households.
        let all = env.scalar_i64("SELECT COUNT(*) FROM villages").await;
        assert!((villages.len() as i64) < all, "{} of {all}", villages.len());
        let v = villages
            .iter()
            .find(|v| v.households > 0)
            .expect("a village with households");
        let on_file = env
            .scalar_i64(&format!(
                "SELECT COUNT(*) FROM households WHERE village_id = '{}'",
                v.id
            ))
            .await;
        assert_eq!(v.households, on_file);
        let job = s
            .precredit()
            .create_precredit_job(
                &officer,
                &NewPrecreditJob {
                    scope: PrecreditScope::Village(v.id.clone()),
                    product_code: "HNED".into(),
                    use_bureau: false,
                },
            )
            .await
            .expect("create");
        assert_eq!(job.total, v.households);
        assert_eq!(job.scope_name, format!("{}{}", v.township, v.name));
        // Approvers read results but do not start jobs.
        assert_code(
            s.precredit()
                .precredit_villages(&env.staff("approver1").await)
                .await,
            ErrorCode::Forbidden,
        );
    })
    .await;
}

/// Pre-credit asks the bureau only about people who signed a 征信查询授权:
/// the demo's villagers did at the village campaign; one whose form was
/// withdrawn, and a whitelisted newcomer without a form number, are decided
/// without a report; a form number in the whitelist, or one an officer
/// records, lets the bureau be asked.
#[tokio::test]
async fn the_bureau_is_asked_only_about_people_who_authorised_it() {
    on_each_backend(|env| async move {
        seed(&env).await;
        let s = with_bureau(&env, 0);
        let head = env.staff("head1").await;
        let officer = env.staff("officer1").await;
        let village = busiest_village(&env).await;
        // One head of household withdrew the authorisation.
        let withdrawn = env
            .scalar_text(&format!(
                "SELECT c.id FROM customers c JOIN households h ON h.id = c.household_id \
                 WHERE h.village_id = '{village}' AND c.relation_to_head = 'head' \
                 ORDER BY c.id LIMIT 1"
            ))
            .await;
        env.exec(&format!(
            "UPDATE bureau_authorisations SET withdrawn_at = 1 WHERE customer_id = '{withdrawn}'"
        ))
        .await;
        let run = |village: String| {
            let s = s.clone();
            let head = head.clone();
            async move {
                let job = village_job(&s, &head, &village).await;
                s.precredit().precredit_results(&head, &job.id, &PrecreditResultFilter::default())
                    .await
                    .unwrap()
            }
        };
        let results = run(village.clone()).await;
        assert!(results.len() > 1);
        for r in &results {
            let expected = if r.customer_id.as_deref() == Some(withdrawn.as_str()) {
                "not_asked"
            } else {
                "pulled"
            };
            assert_eq!(r.bureau, expected, "{r:?}");
        }

        // An officer records the signed form again: asked from then on.
        assert_code(
            s.risk().record_bureau_authorisation(&officer, &withdrawn, "  ", today()).await,
            ErrorCode::AuthorisationEvidenceInvalid,
        );
        assert_code(
            s.risk().record_bureau_authorisation(&officer, &withdrawn, "SQ-1", today().add_days(1)).await,
            ErrorCode::AuthorisationDateInvalid,
        );
        assert_code(
            s.risk().record_bureau_authorisation(&env.staff("product1").await, &withdrawn, "SQ-1", today())
                .await,
            ErrorCode::Forbidden,
        );
        assert_code(
            s.risk().record_bureau_authorisation(&env.staff("officer4").await, &withdrawn, "SQ-1", today())
                .await,
            ErrorCode::Forbidden,
        );
        for _ in 0..2 {
            s.risk().record_bureau_authorisation(&officer, &withdrawn, "SQ-2026-0001", today())
                .await
                .expect("recorded (twice is once)");
        }
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'bureau.authorisation_recorded' \
                 AND entity_id = '{withdrawn}'"
            ))
            .await,
            1
        );
        env.clock.advance_secs(86_400 * 31);
        let results = run(village).await;
        assert!(results.iter().all(|r| r.bureau == "pulled" || r.bureau == "cached"), "{results:?}");

        // A whitelist: a form number makes a newcomer askable; none, not.
        let existing_village = env
            .scalar_text(
                "SELECT v.township || v.name FROM villages v JOIN organisations g ON g.id = v.grid_id \
                 WHERE g.code LIKE 'BJ01-01-%' ORDER BY v.id LIMIT 1",
            )
            .await;
        let born = domain::date::Date::new(1982, 5, 17).unwrap();
        let signed = IdNumber::from_parts("220102", born, 211).unwrap();
        let unsigned = IdNumber::from_parts("220102", born, 213).unwrap();
        let mut book = whitelist_book(
            &[
                [signed.as_str(), "冯有信", "13912340001", &existing_village, "50000"],
                [unsigned.as_str(), "陈无书", "13912340002", &existing_village, "50000"],
            ],
            &[],
        );
        let sheet = book.worksheet_from_index(0).unwrap();
        sheet.write_string(0, 5, "征信授权书编号").unwrap();
        sheet.write_string(1, 5, "SQ-2026-0102").unwrap();
        let report = s
            .precredit().import_whitelist(&officer, "授权.xlsx", &book.save_to_buffer().unwrap(), "HNED", true)
            .await
            .expect("import");
        assert_eq!((report.imported, report.bad_rows), (2, 0), "{report:?}");
        s.precredit().run_precredit_job(&report.job_id, &opts(10), &|_| {}).await.unwrap();
        let results = s
            .precredit().precredit_results(&officer, &report.job_id, &PrecreditResultFilter::default())
            .await
            .unwrap();
        let bureau_of = |name: &str| {
            results
                .iter()
                .find(|r| r.customer_name.as_deref().is_some_and(|n| n.starts_with(name)))
                .map(|r| r.bureau.clone())
        };
        assert_eq!(bureau_of("冯").as_deref(), Some("pulled"), "{results:?}");
        assert_eq!(bureau_of("陈").as_deref(), Some("not_asked"), "{results:?}");
    })
    .await;
}

/// Maker-checker: the officer who made a pre-credit list may not also offer
/// it; the branch head checks the results and makes the offers.
#[tokio::test]
async fn whoever_made_a_list_does_not_offer_it() {
    on_each_backend(|env| async move {
        seed(&env).await;
        let s = with_bureau(&env, 0);
        let officer = env.staff("officer1").await;
        let head = env.staff("head1").await;
        let village = busiest_village(&env).await;
        let job = village_job(&s, &officer, &village).await;
        assert!(job.approved > 0, "{job:?}");
        let mine = s
            .precredit()
            .precredit_job(&officer, &job.id)
            .await
            .unwrap();
        assert!(!mine.can_offer && mine.offer_needs_checker);
        let theirs = s.precredit().precredit_job(&head, &job.id).await.unwrap();
        assert!(theirs.can_offer && !theirs.offer_needs_checker);
        let approved = PrecreditResultFilter {
            outcome: Some("approve".into()),
            ..PrecreditResultFilter::default()
        };
        let results = s
            .precredit()
            .precredit_results(&officer, &job.id, &approved)
            .await
            .unwrap();
        assert!(results.iter().all(|r| !r.can_offer));
        assert_code(
            s.precredit()
                .offer_precredit(
                    &officer,
                    &job.id,
                    &results[0].subject_key,
                    &OfferTerms::default(),
                )
                .await,
            ErrorCode::SelfApproval,
        );
        assert_code(
            s.precredit()
                .offer_precredit_results(&officer, &job.id, &OfferTerms::default())
                .await,
            ErrorCode::SelfApproval,
        );
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM credit_offers").await,
            0
        );
        // The branch head, a second person, offers them.
        let results = s
            .precredit()
            .precredit_results(&head, &job.id, &approved)
            .await
            .unwrap();
        assert!(results.iter().any(|r| r.can_offer));
        let bulk = s
            .precredit()
            .offer_precredit_results(&head, &job.id, &OfferTerms::default())
            .await
            .unwrap();
        assert!(bulk.offered > 0, "{bulk:?}");
    })
    .await;
}
