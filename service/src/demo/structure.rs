//! The demo bank's structure: the union, its two banks with their
//! branches and grids, the staff accounts and the products.

use domain::money::Fen;
use domain::schedule::RepaymentMethod;

use super::{risk, Generator};
use crate::products::rows::NewProduct;
use crate::sql::Val;
use crate::staff::{role_row, NewOrganisation, NewStaffUser};

/// Where a staff account sits: the union, a bank, or a bank's branch.
#[derive(Debug, Clone, Copy)]
pub(super) enum Place {
    Union,
    Bank(usize),
    Branch(usize, usize),
}

pub(super) struct StaffSpec {
    pub(super) username: &'static str,
    pub(super) display_name: &'static str,
    pub(super) place: Place,
    pub(super) role: &'static str,
    pub(super) label_zh: &'static str,
}

pub(super) const STAFF: [StaffSpec; 21] = [
    StaffSpec {
        username: "admin",
        display_name: "周建华",
        place: Place::Union,
        role: "admin",
        label_zh: "系统管理员（省联社）",
    },
    StaffSpec {
        username: "head1",
        display_name: "陈国栋",
        place: Place::Branch(0, 0),
        role: "branch_head",
        label_zh: "支行行长",
    },
    StaffSpec {
        username: "officer1",
        display_name: "刘洋",
        place: Place::Branch(0, 0),
        role: "officer",
        label_zh: "客户经理",
    },
    StaffSpec {
        username: "officer2",
        display_name: "张丽",
        place: Place::Branch(0, 0),
        role: "officer",
        label_zh: "客户经理",
    },
    StaffSpec {
        username: "investigator1",
        display_name: "孙志强",
        place: Place::Branch(0, 0),
        role: "investigator",
        label_zh: "调查岗",
    },
    StaffSpec {
        username: "reviewer1",
        display_name: "吴敏",
        place: Place::Branch(0, 0),
        role: "reviewer",
        label_zh: "审查岗",
    },
    StaffSpec {
        username: "approver1",
        display_name: "赵立新",
        place: Place::Branch(0, 0),
        role: "approver",
        label_zh: "审批岗",
    },
    StaffSpec {
        username: "approver2",
        display_name: "钱海燕",
        place: Place::Branch(0, 0),
        role: "approver",
        label_zh: "审批岗",
    },
    StaffSpec {
        username: "disburser1",
        display_name: "郑晓红",
        place: Place::Branch(0, 0),
        role: "disburser",
        label_zh: "放款岗",
    },
    StaffSpec {
        username: "postloan1",
        display_name: "何伟",
        place: Place::Branch(0, 0),
        role: "post_loan",
        label_zh: "贷后岗",
    },
    StaffSpec {
        username: "risk1",
        display_name: "马骏",
        place: Place::Bank(0),
        role: "risk_manager",
        label_zh: "风险经理",
    },
    StaffSpec {
        username: "product1",
        display_name: "林静",
        place: Place::Bank(0),
        role: "product_manager",
        label_zh: "产品经理",
    },
    StaffSpec {
        username: "marketing1",
        display_name: "高峰",
        place: Place::Bank(0),
        role: "marketing_manager",
        label_zh: "营销经理",
    },
    StaffSpec {
        username: "officer3",
        display_name: "杨帆",
        place: Place::Branch(0, 1),
        role: "officer",
        label_zh: "客户经理（二支行）",
    },
    StaffSpec {
        username: "approver3",
        display_name: "徐春梅",
        place: Place::Branch(0, 1),
        role: "approver",
        label_zh: "审批岗（二支行）",
    },
    StaffSpec {
        username: "head2",
        display_name: "王志刚",
        place: Place::Branch(1, 0),
        role: "branch_head",
        label_zh: "支行行长（长白）",
    },
    StaffSpec {
        username: "officer4",
        display_name: "韩雪",
        place: Place::Branch(1, 0),
        role: "officer",
        label_zh: "客户经理（长白）",
    },
    StaffSpec {
        username: "approver4",
        display_name: "冯涛",
        place: Place::Branch(1, 0),
        role: "approver",
        label_zh: "审批岗（长白）",
    },
    StaffSpec {
        username: "officer5",
        display_name: "曹磊",
        place: Place::Branch(1, 1),
        role: "officer",
        label_zh: "客户经理（长白二支行）",
    },
    StaffSpec {
        username: "approver5",
        display_name: "彭丽娟",
        place: Place::Branch(1, 1),
        role: "approver",
        label_zh: "审批岗（长白二支行）",
    },
    StaffSpec {
        username: "risk2",
        display_name: "邓超",
        place: Place::Bank(1),
        role: "risk_manager",
        label_zh: "风险经理（长白）",
    },
];

impl StaffSpec {
    /// The account's row, in `org_id`, with the demo password.
    pub(super) fn row(
        &self,
        id: &str,
        org_id: &str,
        password_hash: &str,
        created_at: i64,
    ) -> Vec<Val> {
        NewStaffUser {
            id,
            org_id,
            username: self.username,
            display_name: self.display_name,
            password_hash,
            must_change_password: false,
            created_at,
        }
        .row()
    }
}

/// The demo staff accounts and what each is, for the start-up banner and
/// the login page. All use [`super::DEMO_PASSWORD`].
pub fn demo_logins() -> Vec<(&'static str, &'static str)> {
    STAFF
        .iter()
        .chain(&risk::CHECKERS)
        .map(|s| (s.username, s.label_zh))
        .collect()
}

pub(super) struct BankSpec {
    pub(super) code: &'static str,
    pub(super) name: &'static str,
    pub(super) short: &'static str,
    pub(super) branches: [&'static str; 2],
    pub(super) regions: [&'static str; 4],
    pub(super) products: [ProductSpec; 3],
}

pub(super) struct ProductSpec {
    pub(super) code: &'static str,
    pub(super) name_zh: &'static str,
    pub(super) name_en: &'static str,
    pub(super) summary_zh: &'static str,
    pub(super) summary_en: &'static str,
    pub(super) min_yuan: i64,
    pub(super) max_yuan: i64,
    pub(super) min_term: u32,
    pub(super) max_term: u32,
    pub(super) rate_bp: u32,
    pub(super) method: RepaymentMethod,
    pub(super) guarantee: &'static str,
    pub(super) purposes: [&'static str; 4],
}

const HNED_ZH: &str = "纯信用、免抵押，手机上申请，客户经理上门调查，最快三天放款。";
const HNED_EN: &str =
    "Unsecured credit for farm households: apply on your phone, decided within days.";
const FSD_ZH: &str = "春耕秋收的季节性资金，一人担保即可，收获后归还本金。";
const FSD_EN: &str = "Seasonal funds for sowing and harvest, with one guarantor.";
const AJD_ZH: &str = "农村住房新建、翻建和装修，以房产抵押，期限最长十年。";
const AJD_EN: &str =
    "Build, rebuild or renovate a rural home, secured on the house, up to ten years.";
const HNED_PURPOSES: [&str; 4] = ["购买化肥种子", "购买饲料", "小卖部进货", "购置农机具"];
const FSD_PURPOSES: [&str; 4] = ["春耕生产资金", "秋收粮食收购", "扩大养殖规模", "租赁土地"];
const AJD_PURPOSES: [&str; 4] = ["新建住房", "房屋翻建", "住房装修", "购买农村住房"];

pub(super) const BANKS: [BankSpec; 2] = [
    BankSpec {
        code: "BJ01",
        name: "松江农村商业银行",
        short: "松江农商行",
        branches: ["城关支行", "河口支行"],
        regions: ["220102", "220122", "220182", "220183"],
        products: [
            ProductSpec {
                code: "HNED",
                name_zh: "惠农e贷",
                name_en: "Huinong e-Loan",
                summary_zh: HNED_ZH,
                summary_en: HNED_EN,
                min_yuan: 10_000,
                max_yuan: 300_000,
                min_term: 6,
                max_term: 36,
                rate_bp: 560,
                method: RepaymentMethod::EqualInstalment,
                guarantee: "credit",
                purposes: HNED_PURPOSES,
            },
            ProductSpec {
                code: "FSD",
                name_zh: "丰收贷",
                name_en: "Harvest Loan",
                summary_zh: FSD_ZH,
                summary_en: FSD_EN,
                min_yuan: 20_000,
                max_yuan: 500_000,
                min_term: 6,
                max_term: 24,
                rate_bp: 490,
                method: RepaymentMethod::InterestOnly,
                guarantee: "guarantor",
                purposes: FSD_PURPOSES,
            },
            ProductSpec {
                code: "AJD",
                name_zh: "安居贷",
                name_en: "Anju Home Loan",
                summary_zh: AJD_ZH,
                summary_en: AJD_EN,
                min_yuan: 100_000,
                max_yuan: 1_000_000,
                min_term: 12,
                max_term: 120,
                rate_bp: 385,
                method: RepaymentMethod::EqualInstalment,
                guarantee: "mortgage",
                purposes: AJD_PURPOSES,
            },
        ],
    },
    BankSpec {
        code: "BJ02",
        name: "长白农村商业银行",
        short: "长白农商行",
        branches: ["东岗支行", "西林支行"],
        regions: ["220281", "220282", "220283", "220284"],
        products: [
            ProductSpec {
                code: "HNED",
                name_zh: "惠农e贷",
                name_en: "Huinong e-Loan",
                summary_zh: HNED_ZH,
                summary_en: HNED_EN,
                min_yuan: 10_000,
                max_yuan: 200_000,
                min_term: 6,
                max_term: 36,
                rate_bp: 720,
                method: RepaymentMethod::EqualInstalment,
                guarantee: "credit",
                purposes: HNED_PURPOSES,
            },
            ProductSpec {
                code: "FSD",
                name_zh: "丰收贷",
                name_en: "Harvest Loan",
                summary_zh: FSD_ZH,
                summary_en: FSD_EN,
                min_yuan: 20_000,
                max_yuan: 500_000,
                min_term: 12,
                max_term: 36,
                rate_bp: 540,
                method: RepaymentMethod::EqualPrincipal,
                guarantee: "guarantor",
                purposes: FSD_PURPOSES,
            },
            ProductSpec {
                code: "AJD",
                name_zh: "安居贷",
                name_en: "Anju Home Loan",
                summary_zh: AJD_ZH,
                summary_en: AJD_EN,
                min_yuan: 100_000,
                max_yuan: 800_000,
                min_term: 12,
                max_term: 120,
                rate_bp: 420,
                method: RepaymentMethod::EqualInstalment,
                guarantee: "mortgage",
                purposes: AJD_PURPOSES,
            },
        ],
    },
];

const UNION_NAME: &str = "北江省农村信用社联合社";
const GRID_NAMES: [&str; 2] = ["第一网格", "第二网格"];

pub(super) struct Org {
    pub(super) id: String,
    pub(super) path: String,
}

pub(super) struct BranchStaff {
    pub(super) officers: Vec<String>,
    pub(super) approvers: Vec<String>,
    pub(super) investigators: Vec<String>,
}

pub(super) struct ProductRow {
    pub(super) id: String,
    pub(super) spec: &'static ProductSpec,
}

impl Generator {
    fn org(&mut self, parent: Option<&Org>, kind: &str, code: String, name: String) -> Org {
        let id = self.id();
        let path = match parent {
            Some(p) => format!("{}{id}/", p.path),
            None => format!("/{id}/"),
        };
        let row = NewOrganisation {
            id: &id,
            parent_id: parent.map(|p| p.id.as_str()),
            kind,
            code: &code,
            name: &name,
            path: &path,
            created_at: self.at(400, 9),
        }
        .row();
        self.buf.organisations.push(row);
        self.summary.organisations += 1;
        Org { id, path }
    }

    /// The organisation tree, the staff and the products.
    pub(super) fn structure(&mut self, password_hash: &str) {
        let union = self.org(None, "union", "BJ".to_string(), UNION_NAME.to_string());
        for spec in &BANKS {
            let bank = self.org(
                Some(&union),
                "bank",
                spec.code.to_string(),
                spec.name.to_string(),
            );
            let mut branches = Vec::new();
            let mut grids = Vec::new();
            for (br, br_name) in spec.branches.iter().enumerate() {
                let branch = self.org(
                    Some(&bank),
                    "branch",
                    format!("{}-{:02}", spec.code, br + 1),
                    format!("{}{br_name}", spec.short),
                );
                let mut branch_grids = Vec::new();
                for (gi, grid_name) in GRID_NAMES.iter().enumerate() {
                    branch_grids.push(self.org(
                        Some(&branch),
                        "grid",
                        format!("{}-{:02}-{:02}", spec.code, br + 1, gi + 1),
                        format!("{br_name}{grid_name}"),
                    ));
                }
                branches.push(branch);
                grids.push(branch_grids);
            }
            self.banks.push(bank);
            self.branches.push(branches);
            self.grids.push(grids);
        }
        self.union_id = union.id.clone();

        self.branch_staff = (0..BANKS.len())
            .map(|_| {
                (0..2)
                    .map(|_| BranchStaff {
                        officers: Vec::new(),
                        approvers: Vec::new(),
                        investigators: Vec::new(),
                    })
                    .collect()
            })
            .collect();
        let created = self.at(365, 9);
        const REFERRAL_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
        for spec in &STAFF {
            let id = self.id();
            let org_id = match spec.place {
                Place::Union => union.id.clone(),
                Place::Bank(b) => self.banks[b].id.clone(),
                Place::Branch(b, br) => {
                    let team = &mut self.branch_staff[b][br];
                    match spec.role {
                        "officer" => {
                            team.officers.push(id.clone());
                            // Each officer's QR code for 码上营销, from
                            // their id (the demo's random stream untouched).
                            use sha2::{Digest, Sha256};
                            let a = REFERRAL_ALPHABET;
                            let code: String = Sha256::digest(id.as_bytes())[..8]
                                .iter()
                                .map(|b| a[usize::from(*b) % a.len()] as char)
                                .collect();
                            self.buf.referral_codes.push(vec![
                                Val::from(code.as_str()),
                                Val::from(self.banks[b].id.as_str()),
                                Val::from(id.as_str()),
                                Val::Int(1),
                                Val::Int(created),
                            ]);
                            // 预约上门: the next two weeks' working hours
                            // offered for visits (mornings and afternoons).
                            for day in 1..=14 {
                                for hour in [9u8, 10, 11, 14, 15, 16] {
                                    let date = self.today.add_days(day);
                                    let Ok(start) = domain::visit::slot_start(date, hour) else {
                                        continue;
                                    };
                                    self.buf.visit_slots.push(vec![
                                        Val::from(format!("{id}-v{day:02}{hour:02}").as_str()),
                                        Val::from(self.banks[b].id.as_str()),
                                        Val::from(id.as_str()),
                                        Val::Int(start),
                                        Val::Int(created),
                                    ]);
                                }
                            }
                        }
                        "approver" => team.approvers.push(id.clone()),
                        "investigator" => team.investigators.push(id.clone()),
                        _ => {}
                    }
                    self.branches[b][br].id.clone()
                }
            };
            let row = spec.row(&id, &org_id, password_hash, created);
            self.buf.staff_users.push(row);
            self.buf.staff_roles.push(role_row(&id, spec.role));
            self.staff_ids.push(id);
            self.summary.staff += 1;
        }

        for (b, spec) in BANKS.iter().enumerate() {
            let mut rows = Vec::new();
            for (i, p) in spec.products.iter().enumerate() {
                let id = self.id();
                let bank_id = self.banks[b].id.clone();
                let row = NewProduct {
                    id: &id,
                    bank_id: &bank_id,
                    code: p.code,
                    name_zh: p.name_zh,
                    name_en: p.name_en,
                    summary_zh: p.summary_zh,
                    summary_en: p.summary_en,
                    min_amount: Fen::from_yuan(p.min_yuan),
                    max_amount: Fen::from_yuan(p.max_yuan),
                    min_term_months: p.min_term,
                    max_term_months: p.max_term,
                    annual_rate_bp: p.rate_bp,
                    method: p.method,
                    guarantee: p.guarantee,
                    active: true,
                    sort_order: i64::try_from(i).unwrap_or(0) * 10,
                    created_at: created,
                    parent_id: None,
                }
                .row();
                self.buf.products.push(row);
                rows.push(ProductRow { id, spec: p });
                self.summary.products += 1;
            }
            self.products.push(rows);
        }
    }

    pub(super) fn staff_id(&self, username: &str) -> String {
        let i = STAFF
            .iter()
            .position(|s| s.username == username)
            .unwrap_or(0);
        self.staff_ids[i].clone()
    }
}
