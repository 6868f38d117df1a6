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
use service::applications::NewApplication;
use service::workflow::burst::Placement;
use service::Services;
use tokio::sync::Semaphore;

pub struct BurstArgs {
    pub applications: usize,
    pub concurrency: usize,
    pub product: String,
    pub json: bool,
}

pub async fn run(services: &Services, args: &BurstArgs) -> anyhow::Result<()> {
    let subjects = services
        .workflow()
        .burst_subjects(&args.product, args.applications)
        .await
        .with_context(|| format!("no active product {}", args.product))?;
    anyhow::ensure!(
        subjects.customers.len() == args.applications,
        "only {} customers without an application in the bank; seed more",
        subjects.customers.len()
    );

    let gate = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for (i, actor) in subjects.customers.into_iter().enumerate() {
        let services = services.clone();
        let gate = gate.clone();
        let request = NewApplication {
            repayment_method: None,
            guarantee_type: None,
            product_id: subjects.product_id.clone(),
            amount: subjects.amount,
            term_months: subjects.term_months,
            purpose: "购买化肥种子".to_string(),
            consent: true,
            idempotency_key: format!("burst-{}-{i}", started.elapsed().as_nanos()),
        };
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            services
                .applications()
                .submit_application(&actor, request)
                .await
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
    let Placement {
        in_inbox,
        screened_out,
        stranded,
    } = services.workflow().flow_placement(&ids).await?;
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
