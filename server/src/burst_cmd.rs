//! `puhui burst`: the routing-and-assignment benchmark. N customers of a
//! bank submit an application each, all at once (up to `concurrency` in
//! flight): each submission is checked, stored with its consent, pre-screened
//! by the decision engine (with the DEV bureau), routed through its
//! product version's flow and assigned to its first inbox, with every audit
//! entry. Afterwards it checks that every application reached an inbox (or
//! was closed by the pre-screen) and prints the rate.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use domain::money::Fen;
use service::lending::NewApplication;
use service::Services;
use sqlx::Row;
use tokio::sync::Semaphore;

pub struct BurstArgs {
    pub applications: usize,
    pub concurrency: usize,
    pub product: String,
    pub json: bool,
}

pub async fn run(services: &Services, args: &BurstArgs) -> anyhow::Result<()> {
    let pool = &services.db.pool;
    let product = sqlx::query(
        "SELECT p.id, p.bank_id, p.min_amount_fen, p.min_term_months FROM products p \
         JOIN organisations b ON b.id = p.bank_id WHERE p.code = $1 AND p.active = 1 \
         ORDER BY b.code LIMIT 1",
    )
    .bind(&args.product)
    .fetch_optional(pool)
    .await?
    .with_context(|| format!("no active product {}", args.product))?;
    let product_id: String = product.try_get("id")?;
    let bank_id: String = product.try_get("bank_id")?;
    let amount = Fen(product.try_get::<i64, _>("min_amount_fen")?);
    let term = u32::try_from(product.try_get::<i64, _>("min_term_months")?)?;
    // Customers with no application yet, so nothing is refused as a repeat.
    let rows = sqlx::query(
        "SELECT c.id FROM customers c WHERE c.bank_id = $1 AND NOT EXISTS \
           (SELECT 1 FROM applications a WHERE a.customer_id = c.id) \
         ORDER BY c.id LIMIT $2",
    )
    .bind(&bank_id)
    .bind(i64::try_from(args.applications)?)
    .fetch_all(pool)
    .await?;
    anyhow::ensure!(
        rows.len() == args.applications,
        "only {} customers without an application in the bank; seed more",
        rows.len()
    );
    let mut actors = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.try_get("id")?;
        actors.push(services.customer_actor(&id).await?);
    }

    let gate = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for (i, actor) in actors.into_iter().enumerate() {
        let services = services.clone();
        let gate = gate.clone();
        let request = NewApplication {
            product_id: product_id.clone(),
            amount,
            term_months: term,
            purpose: "购买化肥种子".to_string(),
            consent: true,
            idempotency_key: format!("burst-{}-{i}", started.elapsed().as_nanos()),
        };
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            services.submit_application(&actor, request).await
        });
    }
    let mut ids = Vec::with_capacity(args.applications);
    let mut failed = 0usize;
    while let Some(done) = set.join_next().await {
        match done? {
            Ok(id) => ids.push(id),
            Err(e) => {
                failed += 1;
                tracing::error!(error = %e, "submission failed");
            }
        }
    }
    let elapsed = started.elapsed();

    // Every application is in someone's inbox, or closed by the pre-screen.
    let mut in_inbox = 0usize;
    let mut screened_out = 0usize;
    let mut stranded = 0usize;
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(|id| format!("'{id}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT a.status, (SELECT COUNT(*) FROM flow_tasks t WHERE t.application_id = a.id \
               AND t.status IN ('open', 'unassigned')) AS tasks \
             FROM applications a WHERE a.id IN ({list})"
        )))
        .fetch_all(pool)
        .await?;
        for r in &rows {
            let status: String = r.try_get("status")?;
            let tasks: i64 = r.try_get("tasks")?;
            match (status.as_str(), tasks) {
                (_, n) if n > 0 => in_inbox += 1,
                ("rejected", _) => screened_out += 1,
                _ => stranded += 1,
            }
        }
    }
    let rate = ids.len() as f64 / elapsed.as_secs_f64();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "applications": args.applications,
                "concurrency": args.concurrency,
                "seconds": elapsed.as_secs_f64(),
                "per_second": rate,
                "in_inbox": in_inbox,
                "screened_out": screened_out,
                "stranded": stranded,
                "failed": failed,
            })
        );
    } else {
        println!(
            "{} applications in {:.2} s: {:.0} submissions/s ({} at once)",
            ids.len(),
            elapsed.as_secs_f64(),
            rate,
            args.concurrency
        );
        println!(
            "  in an inbox: {in_inbox}   closed by the pre-screen: {screened_out}   \
             stranded: {stranded}   failed: {failed}"
        );
    }
    anyhow::ensure!(
        stranded == 0 && failed == 0,
        "some applications did not reach an inbox"
    );
    Ok(())
}
