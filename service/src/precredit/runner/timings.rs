//! Where a run's time went and how its subjects came out.

/// Where a run's time went, logged when it stops (for tuning; cheap).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Timings {
    pub(super) subjects: std::time::Duration,
    pub(super) facts: std::time::Duration,
    pub(super) bureau: std::time::Duration,
    pub(super) decide: std::time::Duration,
    pub(super) write: std::time::Duration,
}

impl Timings {
    pub(super) fn add(&mut self, o: &Timings) {
        self.subjects += o.subjects;
        self.facts += o.facts;
        self.bureau += o.bureau;
        self.decide += o.decide;
        self.write += o.write;
    }

    pub(super) fn log(&self, job: &str) {
        tracing::info!(
            job,
            subjects_ms = self.subjects.as_millis(),
            facts_ms = self.facts.as_millis(),
            bureau_ms = self.bureau.as_millis(),
            decide_ms = self.decide.as_millis(),
            write_ms = self.write.as_millis(),
            "pre-credit run timings"
        );
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counts {
    pub(super) approved: i64,
    pub(super) referred: i64,
    pub(super) rejected: i64,
    pub(super) skipped: i64,
}

impl Counts {
    pub(super) fn add(&mut self, outcome: &str) {
        match outcome {
            "approve" => self.approved += 1,
            "refer" => self.referred += 1,
            "reject" => self.rejected += 1,
            _ => self.skipped += 1,
        }
    }
}

pub(super) fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
