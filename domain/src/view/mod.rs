//! Read models: what the service layer returns and the user interface shows.
//!
//! They live here, beside the domain types they are made of, because both the
//! server and the browser (WebAssembly) need them: the service crate fills
//! them from the database and server functions send them across the wire.
//! Personal financial information arrives already masked (`*_masked` fields).

mod applications;
mod audit;
mod collateral;
mod contracts;
mod dashboard;
mod decisions;
mod disbursement;
mod guarantors;
mod loans;
mod notices;
mod onboarding;
mod portrait;
mod precredit;
mod products;
mod rules;
mod session;
mod tasks;
mod visits;
mod write_off;

pub use applications::{
    ApplicationSummary, ApprovalView, CustomerApplicationView, CustomerReason, CustomerScreening,
    InvestigationView, ReferralView, StaffApplicationView, StaffReason, TimelineEvent,
    TimelineKind,
};
pub use audit::{ActorKind, AuditEntry, ChainStatus};
pub use collateral::{CollateralPanel, CollateralPhotoView, CollateralView};
pub use contracts::{
    ContractKeyTerms, ContractStatus, ContractView, TemplateDraft, TemplateStatus, TemplateView,
    Verification,
};
pub use dashboard::Dashboard;
pub use decisions::{BureauInquiryView, DecisionView, FeatureValue, InquiryOutcome, TraceLine};
pub use disbursement::{
    AccountStatus, BankAccountView, DisbursementView, PayoutStatus, PayoutView,
};
pub use guarantors::{GuaranteeContractBrief, GuarantorPanel, GuarantorView};
pub use loans::{
    CreditLineView, EodPage, EodRunStatus, EodRunView, InstalmentState, LineIncreaseView,
    LineRenewalView, LoanDetail, LoanSummary, PaymentStatus, PaymentView, PostingView,
    PrepaymentView, ScheduleLine, SettlementCertificateView,
};
pub use notices::{CustomerDecision, CustomerNotice};
pub use onboarding::{IdCardFields, OnboardingStep, RegistrationView};
pub use portrait::{
    BureauAuthorisationView, HouseholdMember, HouseholdRelation, HouseholdView, Portrait,
};
pub use precredit::{
    CreditOfferView, NewPrecreditJob, OfferBatchSummary, OfferTerms, PrecreditJobStatus,
    PrecreditJobView, PrecreditResultFilter, PrecreditResultView, PrecreditScope, VillageOption,
    WhitelistImportReport, WhitelistRowProblem,
};
pub use products::{
    FlowTemplateView, NewFlowTemplate, NewProductDraft, NewProductVersion, ProductVersionView,
    ProductView, SupermarketProduct,
};
pub use rules::{
    DecisionBrief, OutcomeFlip, RuleHitCount, RuleSetDetail, RuleSetDraft, RuleSetProblem,
    RuleSetSample, RuleSetSummary, RuleSetTrial, SimulationDiff, SimulationReport,
};
pub use session::{CustomerInfo, SentCode, SmsMessage, SmsStatus, StaffInfo};
pub use tasks::{FlowTaskView, InboxTask, MyTask, ReassignOption, StaffRelationView, TaskStatus};
pub use visits::{
    CustomerVisitPanel, FreeSlot, OfficerSlot, OfficerVisits, StaffVisitView, VisitView,
};
pub use write_off::{WriteOffPanel, WriteOffStatus, WriteOffView};
