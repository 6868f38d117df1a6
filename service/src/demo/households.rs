//! The demo bank's villages and households, and their people as customers
//! (each with the bureau authorisation of the village's credit campaign),
//! grid by grid; their applications are [`super::applications`].

use domain::application::ApplicationStatus;
use domain::date::Date;
use domain::identity::IdNumber;
use rand::Rng;
use sqlx::AnyConnection;

use super::applications::{Applicant, FixedApp};
use super::names::*;
use super::structure::BANKS;
use super::{risk, Generator, CHUNK_CUSTOMERS, DAY_MS, DEMO_BORROWER_PHONE, DEMO_CUSTOMER_PHONE};
use crate::customers::NewCustomer;
use crate::error::ServiceError;
use crate::risk::authorisations::Authorisation;
use crate::sql::Val;

struct Village {
    id: String,
    township: &'static str,
    name: String,
}

/// One person to be inserted as a customer.
struct Person {
    name: String,
    male: bool,
    age: u32,
    relation: &'static str,
    phone: Option<&'static str>,
    occupation: String,
}

/// Villages and households: only the demo bank makes them (a whitelist
/// import finds the bank's villages, it does not add any).
pub(super) const VILLAGE_COLS: [&str; 4] = ["id", "grid_id", "township", "name"];
pub(super) const HOUSEHOLD_COLS: [&str; 9] = [
    "id",
    "village_id",
    "head_name",
    "address",
    "members",
    "annual_income_fen",
    "land_area_mu_x10",
    "main_business",
    "created_at",
];

/// The day the demo people's ages are counted to. Fixed, not `today`: a
/// birth date (and so the ID number that carries it, and the development
/// bureau's report, which hashes the ID number) must not move with the day
/// the bank is loaded, or the same phone number is a different applicant
/// with a different credit history every day.
fn birth_anchor() -> Date {
    Date::new(2026, 11, 24).expect("a valid date")
}

impl Generator {
    fn surname(&mut self) -> &'static str {
        // Weight by rank: the first surnames are far more common.
        let total: usize = (1..=SURNAMES.len()).sum();
        let mut x = self.rng.random_range(0..total);
        for (i, s) in SURNAMES.iter().enumerate() {
            let w = SURNAMES.len() - i;
            if x < w {
                return s;
            }
            x -= w;
        }
        SURNAMES[0]
    }

    fn given(&mut self, male: bool) -> &'static str {
        if male {
            self.pick(&MALE_GIVEN)
        } else {
            self.pick(&FEMALE_GIVEN)
        }
    }

    /// The next unused 13x mobile number: a bijection of a counter, so no
    /// two customers share one and the two fixed demo numbers are skipped.
    pub(super) fn phone(&mut self) -> String {
        loop {
            let i = self.phone_index;
            self.phone_index += 1;
            let prefix = 130 + i % 10;
            let n = ((i / 10) * 48_271 + self.phone_offset) % 100_000_000;
            let phone = format!("{prefix}{n:08}");
            if phone != DEMO_CUSTOMER_PHONE && phone != DEMO_BORROWER_PHONE {
                return phone;
            }
        }
    }

    fn id_number(
        &mut self,
        bank: usize,
        birth: Date,
        male: bool,
    ) -> Result<IdNumber, ServiceError> {
        for _ in 0..1000 {
            let region = self.pick(&BANKS[bank].regions);
            let seq = self.rng.random_range(0..500u16) * 2 + u16::from(male);
            let id = IdNumber::from_parts(region, birth, seq)?;
            if self.issued_ids.insert(id.as_str().to_string()) {
                return Ok(id);
            }
        }
        Err(ServiceError::Internal(
            "demo: no free id number".to_string(),
        ))
    }

    /// Villages, households, customers, applications and loans, grid by grid.
    pub(super) async fn populate(&mut self, db: &mut AnyConnection) -> Result<(), ServiceError> {
        let grids_total = BANKS.len() * 2 * 2;
        let per_grid = self.customers_wanted / grids_total;
        let extra = self.customers_wanted % grids_total;
        let mut grid_index = 0;
        for b in 0..BANKS.len() {
            for br in 0..2 {
                for gi in 0..2 {
                    let wanted = per_grid + usize::from(grid_index < extra);
                    self.populate_grid(db, b, br, gi, wanted, grid_index == 0)
                        .await?;
                    grid_index += 1;
                }
            }
        }
        Ok(())
    }

    async fn populate_grid(
        &mut self,
        db: &mut AnyConnection,
        b: usize,
        br: usize,
        gi: usize,
        wanted: usize,
        first: bool,
    ) -> Result<(), ServiceError> {
        let grid_id = self.grids[b][br][gi].id.clone();
        let village_count = wanted.div_ceil(120).max(2);
        let t1 = self.pick(&TOWNSHIPS);
        let t2 = self.pick(&TOWNSHIPS);
        let mut villages = Vec::with_capacity(village_count);
        for v in 0..village_count {
            let id = self.id();
            let township = if v % 2 == 0 { t1 } else { t2 };
            let name = format!(
                "{}{}",
                self.pick(&VILLAGE_PREFIXES),
                self.pick(&VILLAGE_SUFFIXES)
            );
            self.buf.villages.push(vec![
                Val::from(id.as_str()),
                Val::from(grid_id.as_str()),
                Val::from(township),
                Val::from(name.as_str()),
            ]);
            villages.push(Village { id, township, name });
            self.summary.villages += 1;
        }

        let mut made = 0;
        let mut household_no = 0usize;
        if first && wanted > 0 {
            made += self.demo_family(b, br, &villages[0], wanted)?;
            household_no += 1;
        }
        while made < wanted {
            let size = match self.rng.random_range(0..10) {
                0..=2 => 1,
                3..=7 => 2,
                _ => 3,
            }
            .min(wanted - made);
            let village = &villages[household_no % villages.len()];
            let people = self.family(size);
            self.household(b, br, village, household_no, people, None)?;
            made += size;
            household_no += 1;
            if self.buf.customers.len() >= CHUNK_CUSTOMERS {
                self.flush(db).await?;
            }
        }
        Ok(())
    }

    /// A household's customers: a head, often a spouse, sometimes a grown child.
    fn family(&mut self, size: usize) -> Vec<Person> {
        let head_male = self.rng.random_bool(0.85);
        let surname = self.surname();
        let head_age = self.rng.random_range(28..=66);
        let (business, occupation) = self.pick(&BUSINESSES);
        let _ = business;
        let mut people = vec![Person {
            name: format!("{surname}{}", self.given(head_male)),
            male: head_male,
            age: head_age,
            relation: "head",
            phone: None,
            occupation: occupation.to_string(),
        }];
        if size >= 2 {
            let spouse_surname = self.surname();
            let age = head_age
                .saturating_add_signed(self.rng.random_range(-4..=4))
                .max(22);
            let occupation = if self.rng.random_bool(0.6) {
                occupation
            } else {
                self.pick(&OTHER_OCCUPATIONS)
            };
            people.push(Person {
                name: format!("{spouse_surname}{}", self.given(!head_male)),
                male: !head_male,
                age,
                relation: "spouse",
                phone: None,
                occupation: occupation.to_string(),
            });
        }
        if size >= 3 {
            let male = self.rng.random_bool(0.5);
            let child_surname = if head_male { surname } else { self.surname() };
            let age = self
                .rng
                .random_range(18..=head_age.saturating_sub(20).max(18));
            let occupation = self.pick(&OTHER_OCCUPATIONS);
            people.push(Person {
                name: format!("{child_surname}{}", self.given(male)),
                male,
                age,
                relation: "child",
                phone: None,
                occupation: occupation.to_string(),
            });
        }
        people
    }

    /// The fixed demo household: 王建国 (with an approved loan), 李秀英
    /// (no application, so a test can apply as her) and their son.
    fn demo_family(
        &mut self,
        b: usize,
        br: usize,
        village: &Village,
        wanted: usize,
    ) -> Result<usize, ServiceError> {
        let people = vec![
            Person {
                name: "王建国".to_string(),
                male: true,
                age: 52,
                relation: "head",
                phone: Some(DEMO_BORROWER_PHONE),
                occupation: "种植户".to_string(),
            },
            Person {
                name: "李秀英".to_string(),
                male: false,
                age: 49,
                relation: "spouse",
                phone: Some(DEMO_CUSTOMER_PHONE),
                occupation: "务农".to_string(),
            },
            Person {
                name: "王磊".to_string(),
                male: true,
                age: 26,
                relation: "child",
                phone: None,
                occupation: "务工人员".to_string(),
            },
        ];
        let people: Vec<Person> = people.into_iter().take(wanted).collect();
        let n = people.len();
        self.household(b, br, village, 0, people, Some(("玉米种植", 4)))?;
        Ok(n)
    }

    /// Inserts a household with its customers and their applications.
    fn household(
        &mut self,
        b: usize,
        br: usize,
        village: &Village,
        number: usize,
        people: Vec<Person>,
        fixed: Option<(&'static str, u32)>,
    ) -> Result<(), ServiceError> {
        let hid = self.id();
        let (business, members) = match fixed {
            Some((business, members)) => (business, members),
            None => {
                let (business, _) = self.pick(&BUSINESSES);
                let members =
                    u32::try_from(people.len()).unwrap_or(1) + self.rng.random_range(0..=3);
                (business, members)
            }
        };
        let income_yuan = if fixed.is_some() {
            126_000
        } else {
            self.rng.random_range(30..=300) * 1000
        };
        let land: u32 = if fixed.is_some() {
            185
        } else {
            self.rng.random_range(0..=300)
        };
        let address = format!(
            "{}{}{}组{}号",
            village.township,
            village.name,
            number % 9 + 1,
            number / 9 + 1
        );
        let created_ago = self.rng.random_range(400..1500);
        let created = self.at(created_ago, 9);
        self.buf.households.push(vec![
            Val::from(hid.as_str()),
            Val::from(village.id.as_str()),
            Val::from(people[0].name.as_str()),
            Val::from(address),
            Val::from(members),
            Val::Int(income_yuan * 100),
            Val::from(land),
            Val::from(business),
            Val::from(created),
        ]);
        self.summary.households += 1;

        let bank_id = self.banks[b].id.clone();
        let branch_id = self.branches[b][br].id.clone();
        for p in people {
            let cid = self.id();
            let extra_days: i64 = self.rng.random_range(1..365);
            let birth = birth_anchor()
                .add_days(-(i64::from(p.age) * 365 + i64::from(p.age / 4) + extra_days));
            let id_number = self.id_number(b, birth, p.male)?;
            // The fixed demo customers get a number the development bureau
            // reports clean, so their applications go through on any day.
            let id_number = match p.phone {
                Some(_) => match risk::clean_id_number(self, &id_number) {
                    Some(clean) => {
                        self.issued_ids.insert(clean.as_str().to_string());
                        clean
                    }
                    None => id_number,
                },
                None => id_number,
            };
            let phone = match p.phone {
                Some(ph) => ph.to_string(),
                None => self.phone(),
            };
            let officers = &self.branch_staff[b][br].officers;
            let officer = if p.phone.is_some() {
                self.staff_id("officer1")
            } else {
                officers[self.rng.random_range(0..officers.len())].clone()
            };
            let row = NewCustomer {
                id: &cid,
                bank_id: &bank_id,
                branch_id: &branch_id,
                household_id: Some(&hid),
                relation_to_head: p.relation,
                name: &p.name,
                id_number: &id_number,
                phone: Some(&phone),
                occupation: &p.occupation,
                officer_id: Some(&officer),
                created_at: created + DAY_MS,
            }
            .row(&self.keys);
            self.buf.customers.push(row);
            // Every villager signed the 征信查询授权 at the village's credit
            // campaign a month ago: pre-credit may ask the bureau about them.
            let evidence = format!("整村授信授权书 {}", &cid[cid.len() - 8..]);
            let authorisation = Authorisation {
                customer_id: &cid,
                bank_id: &bank_id,
                evidence: &evidence,
                granted_on: self.today.add_days(-30),
                recorded_by: &officer,
                recorded_at: created + DAY_MS,
                source: "demo",
            }
            .row();
            self.buf.bureau_authorisations.push(authorisation);
            self.summary.customers += 1;

            let app = match p.phone {
                Some(DEMO_BORROWER_PHONE) => Some(FixedApp::Borrower),
                Some(_) => None,
                None if self.applications_made < ApplicationStatus::ALL.len() => Some(
                    FixedApp::Status(ApplicationStatus::ALL[self.applications_made]),
                ),
                None if self.portfolio => Some(FixedApp::Status(ApplicationStatus::Approved)),
                None if self.rng.random_bool(0.35) => Some(FixedApp::Random),
                None => None,
            };
            if let Some(kind) = app {
                let ctx = Applicant {
                    bank: b,
                    branch: br,
                    customer_id: cid,
                    officer_id: officer,
                    business,
                    members,
                    income_yuan,
                };
                self.application(&ctx, kind)?;
                if matches!(kind, FixedApp::Borrower) {
                    self.application(&ctx, FixedApp::OverdueBorrower)?;
                }
            }
        }
        Ok(())
    }
}
