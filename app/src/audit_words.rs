//! The audit log in words: each action code and kind of record as a member
//! of staff reads it, in both languages. The codes stay beside the words on
//! the audit page (an auditor searches by them); a code missing here shows
//! as itself, and a test keeps every code the service writes in the table.

use crate::i18n::Locale;

/// (action code, Chinese, English).
const ACTIONS: &[(&str, &str, &str)] = &[
    (
        "application.approved",
        "申请审批通过",
        "Application approved",
    ),
    (
        "application.flow_adopted",
        "申请纳入审批流程",
        "Application placed on its flow",
    ),
    (
        "application.flows_adopted",
        "存量申请纳入审批流程",
        "Earlier applications placed on their flows",
    ),
    (
        "application.investigated",
        "完成贷前调查",
        "Investigation recorded",
    ),
    ("application.rejected", "申请被拒绝", "Application rejected"),
    ("application.routed", "申请流转", "Application routed"),
    (
        "application.screened_out",
        "预审未通过",
        "Application screened out",
    ),
    (
        "application.submitted",
        "提交贷款申请",
        "Application submitted",
    ),
    (
        "bureau.authorisation_recorded",
        "记录征信查询授权",
        "Credit inquiry authorisation recorded",
    ),
    ("bureau.inquired", "查询征信", "Credit bureau queried"),
    (
        "application.step_done",
        "流程环节自动完成",
        "Flow step done by itself",
    ),
    (
        "bank_account.verified",
        "银行账户核验通过并绑定",
        "Bank account checked and bound",
    ),
    (
        "bank_account.verification_failed",
        "银行账户核验未通过",
        "Bank account check failed",
    ),
    ("payout.requested", "发起放款", "Payout requested"),
    ("payout.succeeded", "放款成功", "Paid out"),
    ("payout.failed", "放款失败", "Payout failed"),
    (
        "provider.notice",
        "收到支付通道通知",
        "Payment channel notice received",
    ),
    ("contract.generated", "生成合同", "Contract drawn up"),
    (
        "contract.signed",
        "合同签署并加盖电子签章",
        "Contract signed and sealed",
    ),
    (
        "contract.sign_code_sent",
        "发送签约验证码",
        "Signing code sent",
    ),
    (
        "contract_template.draft_created",
        "新建合同模板草稿",
        "Contract template draft created",
    ),
    (
        "contract_template.draft_saved",
        "保存合同模板草稿",
        "Contract template draft saved",
    ),
    (
        "contract_template.published",
        "合同模板发布",
        "Contract template published",
    ),
    (
        "contract_template.retired",
        "合同模板停用",
        "Contract template retired",
    ),
    (
        "contract_template.self_approval_refused",
        "拒绝自审合同模板",
        "Self-approval of a contract template refused",
    ),
    (
        "contract_template.submitted",
        "合同模板提交复核",
        "Contract template submitted for approval",
    ),
    (
        "credit_line.cancelled",
        "授信额度注销",
        "Credit line cancelled",
    ),
    ("credit_line.drawn", "额度用信", "Drawdown on a credit line"),
    ("credit_line.expired", "授信额度到期", "Credit line expired"),
    ("credit_line.frozen", "授信额度冻结", "Credit line frozen"),
    ("credit_line.granted", "授信", "Credit line granted"),
    (
        "credit_line.increase_proposed",
        "提交提额申请",
        "Credit limit increase proposed",
    ),
    (
        "credit_line.increase_approved",
        "提额复核通过",
        "Credit limit increase approved",
    ),
    (
        "credit_line.increase_refused",
        "提额复核不同意",
        "Credit limit increase refused",
    ),
    (
        "credit_line.limit_adjusted",
        "调整授信额度",
        "Credit limit adjusted",
    ),
    (
        "credit_line.renewed",
        "到期自动续授信",
        "Credit line renewed at expiry",
    ),
    (
        "credit_line.renewal_declined",
        "到期不予续授信",
        "Credit line not renewed at expiry",
    ),
    (
        "credit_line.renewal_referred",
        "续授信转人工",
        "Credit line renewal referred to an officer",
    ),
    (
        "credit_line.transferred",
        "额度移交",
        "Credit line transferred",
    ),
    (
        "credit_line.unfrozen",
        "授信额度解冻",
        "Credit line unfrozen",
    ),
    (
        "credit_offer.accepted",
        "客户接受额度邀约",
        "Credit offer accepted",
    ),
    (
        "credit_offer.declined",
        "客户拒绝额度邀约",
        "Credit offer declined",
    ),
    ("credit_offer.made", "发出额度邀约", "Credit offer made"),
    (
        "credit_offer.made_in_bulk",
        "批量发出额度邀约",
        "Credit offers made in bulk",
    ),
    (
        "credit_offer.withdrawn",
        "撤回额度邀约",
        "Credit offer withdrawn",
    ),
    ("customer.login", "客户登录", "Customer signed in"),
    (
        "customer.login_failed",
        "客户登录失败",
        "Customer sign-in failed",
    ),
    (
        "customer.viewed",
        "查看客户画像",
        "Customer portrait viewed",
    ),
    ("decision.made", "决策引擎决策", "Decision made"),
    (
        "demo.rule_sets_seeded",
        "载入演示规则集",
        "Demo rule sets loaded",
    ),
    ("demo.seeded", "载入演示数据", "Demo bank loaded"),
    ("eod.completed", "日终跑批完成", "End of day completed"),
    ("eod.failed", "日终跑批中断", "End of day failed"),
    (
        "eod.rerun_requested",
        "重跑日终",
        "End of day rerun requested",
    ),
    ("eod.started", "日终跑批开始", "End of day started"),
    ("flow_template.saved", "保存流程模板", "Flow template saved"),
    ("loan.created", "贷款入账", "Loan booked"),
    ("loan.repaid", "还款入账", "Repayment posted"),
    ("loan.prepaid", "提前还款入账", "Prepayment posted"),
    (
        "contract.sign_refused",
        "合同签署验证码错误",
        "Contract signing refused (wrong code)",
    ),
    ("collateral.recorded", "登记押品", "Collateral recorded"),
    (
        "collateral.photo_added",
        "上传押品照片",
        "Collateral photo added",
    ),
    (
        "collateral.registered",
        "录入抵押登记号",
        "Mortgage registration entered",
    ),
    (
        "collateral.custody_asked",
        "申请押品出入库",
        "Custody move asked",
    ),
    (
        "collateral.custody_confirmed",
        "复核押品出入库",
        "Custody move confirmed",
    ),
    (
        "collateral.custody_refused",
        "退回押品出入库申请",
        "Custody move refused",
    ),
    ("guarantor.recorded", "登记保证人", "Guarantor recorded"),
    ("guarantor.removed", "移除保证人", "Guarantor removed"),
    (
        "guarantor.consent_code_sent",
        "向保证人发送授权验证码",
        "Consent code sent to a guarantor",
    ),
    (
        "guarantor.consented",
        "保证人授权担保及征信查询",
        "Guarantor consented",
    ),
    (
        "guarantor.consent_refused",
        "保证人授权验证码错误",
        "Wrong guarantor consent code",
    ),
    (
        "guarantor.bureau_checked",
        "保证人征信审查",
        "Guarantor checked at the bureau",
    ),
    ("guarantor.signed", "保证人签署保证合同", "Guarantor signed"),
    ("contract.voided", "作废合同", "Contract voided"),
    (
        "loan.write_off_proposed",
        "提出核销申请",
        "Write-off proposed",
    ),
    (
        "loan.write_off_refused",
        "退回核销申请",
        "Write-off refused",
    ),
    ("loan.written_off", "贷款核销", "Loan written off"),
    (
        "settlement.issued",
        "开具结清证明",
        "Settlement certificate issued",
    ),
    (
        "login.address_blocked",
        "登录来源地址被限制",
        "Sign-ins from an address blocked",
    ),
    ("organisation.created", "新建机构", "Organisation created"),
    ("otp.sent", "发送短信验证码", "Sign-in code sent"),
    ("payment.failed", "支付失败", "Payment failed"),
    ("payment.refunded", "支付退款", "Payment refunded"),
    ("payment.requested", "发起支付", "Payment requested"),
    (
        "pfi.resealed",
        "个人金融信息重新加密",
        "Personal information re-sealed",
    ),
    (
        "precredit.bureau_pulled",
        "批量查询征信",
        "Credit reports pulled in bulk",
    ),
    (
        "precredit.cancel_requested",
        "请求取消预授信任务",
        "Pre-credit job cancellation requested",
    ),
    (
        "precredit.chunk_committed",
        "预授信批次完成",
        "Pre-credit chunk written",
    ),
    (
        "precredit.job_created",
        "新建预授信任务",
        "Pre-credit job created",
    ),
    (
        "precredit.job_started",
        "预授信任务开始",
        "Pre-credit job started",
    ),
    (
        "precredit.pause_requested",
        "请求暂停预授信任务",
        "Pre-credit job pause requested",
    ),
    (
        "precredit.resumed",
        "继续预授信任务",
        "Pre-credit job resumed",
    ),
    (
        "precredit.whitelist_imported",
        "导入白名单",
        "Whitelist imported",
    ),
    ("product.drafted", "产品草稿", "Product drafted"),
    ("product.published", "产品发布", "Product published"),
    ("product.retired", "产品停用", "Product withdrawn"),
    (
        "product.version_drafted",
        "产品新版本草稿",
        "Product version drafted",
    ),
    ("rule_set.approved", "规则集复核通过", "Rule set approved"),
    (
        "rule_set.draft_created",
        "新建规则集草稿",
        "Rule set draft created",
    ),
    (
        "rule_set.draft_saved",
        "保存规则集草稿",
        "Rule set draft saved",
    ),
    ("rule_set.published", "规则集上线", "Rule set published"),
    ("rule_set.returned", "规则集退回修改", "Rule set returned"),
    (
        "rule_set.self_approval_refused",
        "拒绝自审规则集",
        "Self-approval of a rule set refused",
    ),
    (
        "rule_set.submitted",
        "规则集提交复核",
        "Rule set submitted for approval",
    ),
    ("staff.created", "新建员工账号", "Staff account created"),
    ("staff.locked", "员工账号锁定", "Staff account locked"),
    ("staff.login", "员工登录", "Staff signed in"),
    ("staff.login_failed", "员工登录失败", "Staff sign-in failed"),
    (
        "staff.login_unknown",
        "未知账号登录",
        "Sign-in with an unknown account",
    ),
    (
        "staff.login_while_locked",
        "锁定期间尝试登录",
        "Sign-in while locked",
    ),
    ("staff.password_changed", "修改密码", "Password changed"),
    ("staff.password_reset", "重置密码", "Password reset"),
    ("staff.relation_declared", "回避申报", "Relation declared"),
    (
        "staff.totp_enrolled",
        "绑定身份验证器",
        "Authenticator app added",
    ),
    (
        "staff.totp_failed",
        "动态码错误",
        "Wrong authenticator code",
    ),
    (
        "staff.totp_reset",
        "重置身份验证器",
        "Authenticator app reset",
    ),
    ("staff.unlocked", "员工账号解锁", "Staff account unlocked"),
    ("task.assigned", "分派待办", "Task assigned"),
    ("task.completed", "完成待办", "Task completed"),
    ("task.overdue", "待办超时", "Task overdue"),
    ("task.reassigned", "改派待办", "Task reassigned"),
    ("task.unassigned", "待办退回待分派", "Task unassigned"),
    (
        "registration.signed_up",
        "新用户手机号注册",
        "Signed up with a phone",
    ),
    (
        "registration.signed_in",
        "注册用户登录",
        "Signed-up person signed in",
    ),
    (
        "registration.id_photo_read",
        "身份证照片识别成功",
        "ID card photo read",
    ),
    (
        "registration.id_photo_refused",
        "身份证照片未通过识别",
        "ID card photo refused",
    ),
    (
        "registration.identity_confirmed",
        "确认身份信息",
        "Identity details confirmed",
    ),
    (
        "registration.face_refused",
        "人脸核验未通过",
        "Face check failed",
    ),
    (
        "customer.registered",
        "线上开户：实名认证通过",
        "Became a customer online (verified)",
    ),
    (
        "customer.phone_claimed",
        "存量客户实名认证并绑定手机号",
        "Known customer verified and phone bound",
    ),
    (
        "referral_code.created",
        "生成推广码",
        "Referral code created",
    ),
    ("visit_slots.added", "开放上门时段", "Visit hours offered"),
    (
        "visit_slot.withdrawn",
        "撤回上门时段",
        "Visit hour withdrawn",
    ),
    ("visit.requested", "客户预约上门", "Visit booked"),
    ("visit.confirmed", "确认上门时间", "Visit confirmed"),
    ("visit.proposed", "建议改期上门", "New visit time proposed"),
    ("visit.accepted", "客户接受上门时间", "Visit time accepted"),
    ("visit.cancelled", "取消预约上门", "Visit cancelled"),
];

/// (kind of record, Chinese, English).
const ENTITIES: &[(&str, &str, &str)] = &[
    ("application", "申请", "application"),
    ("bank_account", "银行账户", "bank account"),
    ("payout", "放款", "payout"),
    ("bureau_inquiry", "征信查询", "credit inquiry"),
    ("contract", "合同", "contract"),
    ("contract_template", "合同模板", "contract template"),
    ("credit_line", "授信额度", "credit line"),
    ("credit_offer", "额度邀约", "credit offer"),
    ("customer", "客户", "customer"),
    ("decision", "决策", "decision"),
    ("eod_run", "日终跑批", "end of day"),
    ("flow_task", "待办", "task"),
    ("flow_template", "流程模板", "flow template"),
    ("loan", "贷款", "loan"),
    ("organisation", "机构", "organisation"),
    ("payment", "支付", "payment"),
    ("pfi_key", "加密密钥", "sealing key"),
    ("precredit_job", "预授信任务", "pre-credit job"),
    ("product", "产品", "product"),
    ("rule_set", "规则集", "rule set"),
    ("sms_code", "短信验证码", "sign-in code"),
    ("staff_user", "员工", "member of staff"),
    ("collateral", "押品", "collateral"),
    ("guarantor", "保证人", "guarantor"),
    ("registration", "注册申请", "registration"),
    ("referral_code", "推广码", "referral code"),
    ("visit_slot", "上门时段", "visit hour"),
];

/// (field of a change, Chinese, English): the keys the service writes into
/// an entry's before/after record.
const FIELDS: &[(&str, &str, &str)] = &[
    ("active", "在售", "on sale"),
    ("added", "新增数量", "added"),
    ("date", "日期", "date"),
    ("hours", "时段", "hours"),
    ("starts_at", "上门时间", "visit time"),
    ("visit", "预约", "visit"),
    ("amount_fen", "金额", "amount"),
    ("changes", "修改内容", "changes"),
    ("collateral_id", "押品", "collateral"),
    ("guarantee_type", "担保方式", "guarantee type"),
    ("guarantor_id", "保证人", "guarantor"),
    ("increase_id", "提额申请", "increase"),
    ("repayment_method", "还款方式", "repayment method"),
    ("to_fen", "申请额度", "proposed limit"),
    ("write_off_id", "核销申请", "write-off"),
    ("penalty_fen", "罚息", "penalty interest"),
    ("decline_reason", "未通过原因", "why declined"),
    ("registration_no", "抵押登记号", "registration number"),
    ("valuation_fen", "评估价值", "valuation"),
    ("valued_on", "评估日期", "valued on"),
    ("custody", "保管状态", "custody"),
    ("move", "出入库", "move"),
    ("purpose", "用途", "purpose"),
    ("channel", "渠道", "channel"),
    ("interest_fen", "利息", "interest"),
    ("total_fen", "合计", "total"),
    ("periods_before", "原剩余期数", "instalments before"),
    ("periods_after", "现剩余期数", "instalments after"),
    ("prepayment", "提前还款", "prepayment"),
    ("certificate_no", "证明编号", "certificate number"),
    ("settled_on", "结清日期", "settled on"),
    ("sha256", "文件指纹", "fingerprint"),
    ("annual_rate_bp", "年利率", "annual rate"),
    ("application_id", "申请", "application"),
    ("applications", "申请数", "applications"),
    ("approved", "通过", "approved"),
    ("assignee", "处理人", "assignee"),
    ("attempt", "尝试次数", "attempt"),
    ("author_id", "编写人", "author"),
    ("available_before_fen", "用信前可用额度", "available before"),
    ("bad_rows", "错误行数", "bad rows"),
    ("bureau", "征信", "credit bureau"),
    ("bureau_cached", "征信缓存命中", "bureau reports reused"),
    ("bureau_pulled", "征信查询", "bureau reports pulled"),
    ("business_date", "会计日", "business date"),
    ("closed", "已结清", "closed"),
    (
        "canonical_sha256",
        "合同摘要(SHA-256)",
        "contract digest (SHA-256)",
    ),
    ("code", "代码", "code"),
    ("comment", "意见说明", "comment"),
    ("consent_id", "授权书", "consent"),
    ("consent_version", "授权书版本", "consent version"),
    ("credit_line_id", "授信额度", "credit line"),
    ("credit_reports", "征信报告", "credit reports"),
    ("decline_category", "拒绝原因类别", "category of reason"),
    ("contracts", "合同", "contracts"),
    ("esign_evidence", "电子签名存证编号", "e-signature evidence"),
    ("esign_provider", "电子签名服务", "e-signature provider"),
    ("contract_no", "合同编号", "contract number"),
    ("account_masked", "账号", "account"),
    ("bank_accounts", "银行账户", "bank accounts"),
    ("caption", "说明", "caption"),
    ("collateral_photos", "押品照片", "collateral photos"),
    ("content_type", "文件类型", "file type"),
    ("photo_id", "照片", "photo"),
    ("size_bytes", "大小（字节）", "size (bytes)"),
    ("bank_name", "开户银行", "bank"),
    ("failure", "失败原因", "why it failed"),
    ("note", "说明", "note"),
    ("notice_id", "通知编号", "notice id"),
    ("public_key", "签章公钥", "sealing public key"),
    ("signers", "签署人数", "signers"),
    ("template_version", "合同模板版本", "template version"),
    ("customer_id", "客户", "customer"),
    ("customers", "客户数", "customers"),
    ("decision_id", "决策", "decision"),
    ("display_name", "姓名", "name"),
    ("done", "已完成", "done"),
    ("dpd", "逾期天数", "days past due"),
    ("due_at", "到期时间", "due"),
    ("duty_mode", "回避模式", "conflict-of-interest mode"),
    ("edges", "连线", "edges"),
    ("elapsed_ms", "耗时（毫秒）", "elapsed (ms)"),
    ("error", "错误", "error"),
    ("evidence", "佐证材料", "evidence"),
    ("expires_on", "到期日", "expires on"),
    ("failed", "失败", "failed"),
    ("failed_attempts", "连续失败次数", "failed attempts"),
    ("failures", "失败数", "failures"),
    ("file", "文件", "file"),
    ("flow", "流程", "flow"),
    ("from", "原值", "from"),
    ("granted_on", "授信日", "granted on"),
    ("grade", "评分等级", "grade"),
    ("groups", "分组", "groups"),
    ("id_number", "身份证号", "ID number"),
    ("imported", "导入数", "imported"),
    ("ip", "IP地址", "IP address"),
    ("job_id", "任务", "job"),
    ("kind", "类型", "kind"),
    ("limit_fen", "额度", "limit"),
    ("line_months", "额度期限（月）", "line term (months)"),
    ("lines", "额度数", "credit lines"),
    ("live_version", "生效版本", "live version"),
    ("loan_id", "贷款", "loan"),
    ("loans", "贷款数", "loans"),
    ("maturity_date", "到期日", "maturity date"),
    ("method", "方式", "method"),
    ("minutes", "分钟", "minutes"),
    ("must_change_password", "须修改密码", "must change password"),
    ("name", "名称", "name"),
    ("name_zh", "中文名称", "Chinese name"),
    ("new_customers", "新增客户", "new customers"),
    ("no", "编号", "number"),
    ("node", "流程节点", "flow node"),
    ("nodes", "节点", "nodes"),
    ("offer_id", "额度邀约", "offer"),
    ("offers", "邀约数", "offers"),
    ("officer_id", "客户经理", "officer"),
    ("ok", "成功", "succeeded"),
    (
        "on_credit_line",
        "额度项下贷款（额度已核减并冻结）",
        "drawn on a credit line (reduced and frozen)",
    ),
    ("one_time", "一次性", "one-time"),
    ("opinion", "审批结论", "opinion"),
    ("outcome", "结论", "outcome"),
    ("overrides", "调整项", "overrides"),
    ("parent_id", "上级机构", "parent"),
    ("phone", "手机号", "phone"),
    ("plain_only", "仅明文", "plain only"),
    ("post", "岗位", "post"),
    ("pre_approved_fen", "预授信额度", "pre-approved limit"),
    ("precredit_job_id", "预授信任务", "pre-credit job"),
    ("principal_fen", "本金", "principal"),
    ("product", "产品", "product"),
    ("product_code", "产品代码", "product code"),
    ("product_id", "产品", "product"),
    ("product_version_id", "产品版本", "product version"),
    ("provider", "服务商", "provider"),
    ("pull_id", "征信查询", "bureau pull"),
    ("rate_bp", "利率", "rate"),
    ("reason", "原因", "reason"),
    ("reason_codes", "原因", "reasons"),
    ("recommendation", "调查建议", "recommendation"),
    ("recommended_amount_fen", "建议金额", "recommended amount"),
    ("reference", "流水号", "reference"),
    ("referred", "转人工", "referred"),
    ("rejected", "拒绝", "rejected"),
    ("relation", "关系", "relation"),
    ("report_id", "报告", "report"),
    ("requested", "申请数", "requested"),
    ("requested_by", "申请人", "requested by"),
    ("retired", "已停用", "retired"),
    ("roles", "角色", "roles"),
    ("round", "轮次", "round"),
    ("row_version", "行版本", "row version"),
    ("rows_read", "读取行数", "rows read"),
    ("rule_set_id", "规则集", "rule set"),
    ("rule_set_version", "规则集版本", "rule set version"),
    ("rule_sets", "规则集", "rule sets"),
    ("runner", "执行方式", "runner"),
    ("scope", "范围", "scope"),
    ("score", "评分", "score"),
    ("seed", "随机种子", "seed"),
    ("skipped", "跳过", "skipped"),
    ("sms_outbox", "短信发件箱", "SMS outbox"),
    ("staff_secrets", "员工密钥", "staff secrets"),
    ("stage", "阶段", "stage"),
    ("stages", "阶段", "stages"),
    ("start_date", "起始日", "start date"),
    ("status", "状态", "status"),
    ("subject_key", "查询对象", "subject"),
    ("subjects", "查询对象", "subjects"),
    ("synthetic", "模拟数据", "synthetic"),
    ("task", "待办", "task"),
    ("tasks_handed_back", "退回的待办", "tasks handed back"),
    ("term_months", "期限（月）", "term (months)"),
    ("timed_out", "超时", "timed out"),
    ("to", "新值", "to"),
    ("total", "合计", "total"),
    ("up_to", "截至", "up to"),
    ("use_bureau", "查询征信", "use the bureau"),
    ("username", "账号", "username"),
    ("valid_days", "有效天数", "valid days"),
    ("version", "版本", "version"),
    ("version_id", "版本", "version"),
    ("village_id", "村", "village"),
    ("visited_on", "走访日期", "visited on"),
    ("side", "证件面", "side"),
    ("upload_id", "上传文件", "upload"),
    ("ocr", "识别服务", "OCR provider"),
    ("ms", "耗时（毫秒）", "time (ms)"),
    ("corrected", "人工更正", "corrected by the person"),
    ("face", "人脸核验服务", "face provider"),
    (
        "selfie_sha256",
        "自拍摘要(SHA-256)",
        "selfie digest (SHA-256)",
    ),
    ("referral_code", "推广码", "referral code"),
    ("registration_id", "注册申请", "registration"),
    ("live", "活体", "live face"),
    ("valid_to", "证件有效期至", "ID valid until"),
    ("sign_up", "新用户注册", "sign-up"),
    ("address", "住址", "address"),
];

fn lookup(
    table: &[(&str, &'static str, &'static str)],
    locale: Locale,
    code: &str,
) -> Option<&'static str> {
    table
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| locale.pick(zh, en))
}

/// An audit action in words, if known.
pub fn action(locale: Locale, code: &str) -> Option<&'static str> {
    lookup(ACTIONS, locale, code)
}

/// A kind of record in words, or the code itself.
pub fn entity(locale: Locale, code: &str) -> String {
    lookup(ENTITIES, locale, code).map_or_else(|| code.to_string(), str::to_string)
}

/// One field of an entry's change, as read: its name and the value before
/// and after (either may be absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// An entry's before/after records field by field, in words: amounts in 元,
/// rates in per cent, yes/no, reason codes as staff read them. A record that
/// is not a JSON object reads as one unnamed field.
pub fn change(locale: Locale, before: Option<&str>, after: Option<&str>) -> Vec<FieldChange> {
    use serde_json::{Map, Value};
    let parse = |s: Option<&str>| {
        s.map(|s| serde_json::from_str::<Value>(s).unwrap_or(Value::String(s.to_owned())))
    };
    let (b, a) = (parse(before), parse(after));
    let object = |v: &Option<Value>| match v {
        Some(Value::Object(m)) => Some(m.clone()),
        None => Some(Map::new()),
        _ => None,
    };
    let (Some(bm), Some(am)) = (object(&b), object(&a)) else {
        return vec![FieldChange {
            label: String::new(),
            before: b.map(|v| value_words(locale, "", &v)),
            after: a.map(|v| value_words(locale, "", &v)),
        }];
    };
    let mut keys: Vec<&String> = bm.keys().collect();
    keys.extend(am.keys().filter(|k| !bm.contains_key(*k)));
    keys.into_iter()
        .map(|k| FieldChange {
            label: lookup(FIELDS, locale, k).map_or_else(|| k.clone(), str::to_string),
            before: bm.get(k).map(|v| value_words(locale, k, v)),
            after: am.get(k).map(|v| value_words(locale, k, v)),
        })
        .filter(|c| c.before != c.after || c.before.is_none())
        .collect()
}

/// One value in words, by what its key says it is.
fn value_words(locale: Locale, key: &str, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "—".to_string(),
        Value::Bool(b) => locale
            .pick(if *b { "是" } else { "否" }, if *b { "yes" } else { "no" })
            .to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(n) if key.ends_with("_fen") => {
                format!(
                    "{} {}",
                    crate::format::money(domain::money::Fen(n)),
                    locale.pick("元", "yuan")
                )
            }
            Some(n) if key == "starts_at" => crate::format::datetime(n),
            Some(n) if key.ends_with("_bp") => {
                u32::try_from(n).map_or_else(|_| n.to_string(), crate::format::rate_bp)
            }
            _ => n.to_string(),
        },
        Value::String(s) if key == "decline_category" => domain::notice::DeclineCategory::parse(s)
            .map_or_else(|| s.clone(), |c| locale.texts().decline(c).0.to_string()),
        Value::String(s) => s.clone(),
        Value::Array(items) if key == "reason_codes" => {
            let codes: Vec<String> = items
                .iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect();
            domain::rules::reasons::staff_reasons(&codes, None)
                .into_iter()
                .map(|r| locale.pick(&r.text_zh, &r.text_en).to_string())
                .collect::<Vec<_>>()
                .join(locale.pick("、", ", "))
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => items
            .iter()
            .map(|i| value_words(locale, "", i))
            .collect::<Vec<_>>()
            .join(locale.pick("、", ", ")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `"x.y"` literal in the service's shipped code that names an
    /// audit action has words (a new action without them fails here).
    #[test]
    fn every_audit_action_the_service_writes_has_words() {
        let entities: Vec<&str> = ENTITIES.iter().map(|e| e.0).collect();
        let mut found = std::collections::BTreeSet::new();
        for text in crate::sources::shipped("service/src") {
            for part in text.split('"').skip(1).step_by(2) {
                let Some((kind, what)) = part.split_once('.') else {
                    continue;
                };
                let word = |s: &str| {
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                };
                if word(kind) && word(what) {
                    found.insert(part.to_string());
                }
            }
        }
        assert!(found.len() > 60, "the sources were not read: {found:?}");
        let missing: Vec<&String> = found
            .iter()
            .filter(|a| action(Locale::Zh, a).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "audit actions without words: {missing:?}"
        );
        for (code, zh, en) in ACTIONS {
            assert!(!zh.is_empty() && !en.is_empty(), "{code}");
        }
        assert!(entities.contains(&"application"));
    }

    /// Every `"key":` the service writes into a JSON record has a name.
    #[test]
    fn every_field_the_service_writes_has_a_name() {
        let mut found = std::collections::BTreeSet::new();
        for text in crate::sources::shipped("service/src") {
            for (i, _) in text.match_indices("\":") {
                let head = &text[..i];
                let Some(open) = head.rfind('"') else {
                    continue;
                };
                let key = &head[open + 1..];
                if !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    found.insert(key.to_string());
                }
            }
        }
        assert!(found.len() > 80, "the sources were not read: {found:?}");
        let missing: Vec<&String> = found
            .iter()
            .filter(|k| lookup(FIELDS, Locale::Zh, k).is_none())
            .collect();
        assert!(missing.is_empty(), "fields without a name: {missing:?}");
    }

    #[test]
    fn a_change_reads_field_by_field_in_words() {
        let c = change(
            Locale::Zh,
            Some(r#"{"limit_fen": 5000000, "status": "active", "frozen": false}"#),
            Some(r#"{"limit_fen": 8000000, "status": "active", "frozen": true, "rate_bp": 560}"#),
        );
        let mut read: Vec<(&str, Option<&str>, Option<&str>)> = c
            .iter()
            .map(|c| (c.label.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        read.sort();
        assert_eq!(
            read,
            [
                ("frozen", Some("否"), Some("是")),
                ("利率", None, Some("5.60%")),
                ("额度", Some("50,000.00 元"), Some("80,000.00 元")),
            ]
        );
        let one = change(
            Locale::En,
            None,
            Some(r#"{"reason_codes": ["blacklisted", "income_too_low"]}"#),
        );
        assert_eq!(
            one[0].after.as_deref(),
            Some("On the blacklist, Household income below the minimum")
        );
        let plain = change(Locale::Zh, None, Some("not json"));
        assert_eq!(plain[0].after.as_deref(), Some("not json"));
    }
}
