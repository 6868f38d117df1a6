//! Texts of the electronic contracts (电子合同): the customer's signing page
//! and its printable copy, the staff contract panel, the template editor and
//! the public verification page, both locales. One area of the key table:
//! see `super` for how the areas make one `Texts`. The words of the
//! contracts' codes (status, kind, signer, why a file is not valid) are the
//! lookups at the end of this file.

macro_rules! texts_contracts {
    ($next:ident { $($acc:tt)* } $($rest:ident)*) => {
        $next! { { $($acc)*
            // ---- contracts: names of codes
            ct_kind_loan: "借款合同", "Loan contract";
            ct_kind_guarantee: "保证合同", "Guarantee contract";
            ct_kind_mortgage: "抵押合同", "Mortgage contract";
            ct_status_generated: "待签署", "To sign";
            ct_status_signed: "已签署", "Signed";
            ct_status_voided: "已作废", "Voided";
            ct_signer_borrower: "借款人", "Borrower";
            ct_signer_guarantor: "保证人", "Guarantor";
            ct_signer_bank: "贷款人（银行签章）", "Lender (bank seal)";

            // ---- contracts: the customer's signing page
            ct_page_title: "合同签署", "Your contract";
            ct_no: "合同编号", "Contract no.";
            ct_key_terms: "主要条款", "Key terms";
            ct_start_date: "借款起始日", "Start date";
            ct_full_text: "合同全文", "Full text";
            ct_read_hint: "请完整阅读合同全文（可在框内上下滑动），确认无误后再签署", "Read the whole contract (scroll inside the box) before you sign";
            ct_sign_title: "签署合同", "Sign the contract";
            ct_sign_hint: "获取短信验证码，在下方框内手写签名，然后点“确认签署”。签署后合同即生效。", "Get an SMS code, write your signature in the box below, then tap “Sign the contract”. The contract takes effect once signed.";
            ct_signature_label: "手写签名", "Your signature";
            ct_signature_hint: "请用手指在框内写下您的姓名", "Write your name in the box with your finger";
            ct_clear: "清除", "Clear";
            ct_sign_button: "确认签署", "Sign the contract";
            ct_signing: "签署中…", "Signing…";
            ct_signed_notice: "合同已签署，银行已加盖电子签章", "The contract is signed and sealed by the bank";
            ct_voided_notice: "该合同已作废，无需签署", "This contract was voided; there is nothing to sign";
            ct_signers: "签署方", "Signed by";
            ct_signed_at: "签署时间", "Signed at";
            ct_seal: "电子签章指纹", "Seal fingerprint";
            ct_seal_hint: "合同文件可在“合同验真”页面核验真伪", "Anyone can check the contract file on the verification page";
            ct_download: "下载合同文件", "Download the contract file";
            ct_file_not_signed: "合同签署后才能下载合同文件", "The contract file can be downloaded once the contract is signed";
            ct_print: "打印/保存为PDF", "Print / save as PDF";
            ct_print_now: "打印", "Print";
            ct_print_hint: "在打印窗口中选择“另存为PDF”即可保存PDF副本", "Choose “Save as PDF” in the print window to keep a PDF copy";
            ct_back_to_contract: "返回合同", "Back to the contract";
            ct_my_contracts: "我的合同", "My contracts";
            ct_view: "查看合同", "View contract";
            ct_contract_ready: "您的借款合同已生成，请尽快签署", "Your loan contract is ready; please sign it";
            ct_verify_link: "合同验真", "Verify a contract";

            // ---- contracts: the staff panel
            ct_panel_title: "电子合同", "Electronic contract";
            ct_generate: "生成合同", "Draw up the contract";
            ct_void_title: "作废合同", "Void the contract";
            ct_void_hint: "未签署的合同作废后可重新生成；借款合同作废时，引用它的保证合同、抵押合同一并作废。已签署的合同不能作废。", "An unsigned contract, once voided, can be drawn up again; voiding a loan contract voids the guarantee and mortgage contracts that cite it. A signed contract cannot be voided.";
            ct_void_reason: "作废原因", "Why it is voided";
            ct_void_button: "确认作废", "Void it";
            ct_generated: "合同已生成，等待客户在手机上签署", "The contract is drawn up; the customer signs it on their phone";
            ct_not_generated: "尚未生成合同", "No contract drawn up yet";
            ct_after_approval: "审批通过并放款记账后可生成合同", "A contract is drawn up once the application is approved and its loan booked";
            ct_view_text: "查看合同全文", "Show the full text";
            ct_created_at: "生成时间", "Drawn up at";
            ct_template_version: "模板版本", "Template version";
            ct_default_template: "系统默认文本", "Built-in default";

            // ---- contracts: templates (maker-checker)
            nav_contract_templates: "合同模板", "Contract templates";
            tpl_title: "合同模板", "Contract templates";
            tpl_sub: "借款、保证、抵押合同的文本；起草人提交后，由另一位产品经理或管理员复核发布", "The wording of loan, guarantee and mortgage contracts; once its author submits a version, another product manager or an administrator publishes it";
            tpl_none: "还没有合同模板：生成合同时使用系统内置的默认文本", "No templates yet: contracts use the built-in default text";
            tpl_col_scope: "适用产品", "Product";
            tpl_bank_wide: "全行通用", "Whole bank";
            tpl_col_kind: "合同类型", "Kind";
            tpl_col_version: "版本", "Version";
            tpl_col_status: "状态", "Status";
            tpl_col_author: "起草人", "Author";
            tpl_col_updated: "更新时间", "Updated";
            tpl_col_actions: "操作", "Actions";
            tpl_me: "本人", "You";
            tpl_other: "其他人员", "Someone else";
            tpl_status_draft: "草稿", "Draft";
            tpl_status_submitted: "待复核", "Awaiting review";
            tpl_status_published: "已发布", "Published";
            tpl_status_retired: "已停用", "Retired";
            tpl_new: "新建草稿", "New draft";
            tpl_edit: "编辑", "Edit";
            tpl_view: "查看", "View";
            tpl_save: "保存草稿", "Save draft";
            tpl_submit: "提交复核", "Submit for review";
            tpl_publish: "复核发布", "Review and publish";
            tpl_retire: "停用", "Retire";
            tpl_discard: "作废", "Discard";
            tpl_close: "关闭", "Close";
            tpl_editor_new: "新建合同模板草稿", "New template draft";
            tpl_editor_edit: "编辑草稿（第 {n} 版）", "Edit draft (version {n})";
            tpl_viewer: "模板正文（第 {n} 版）", "Template text (version {n})";
            tpl_body: "模板正文", "Template text";
            tpl_placeholders: "可用占位符", "Placeholders";
            tpl_placeholders_hint: "在正文中写 {{名称}}，生成合同时替换为该笔贷款的数据；标 * 的为该类合同必须包含的", "Write {{name}} in the text; it is replaced by the loan's data when a contract is drawn up. Those marked * are required for this kind";
            tpl_insert: "插入", "Insert";
            tpl_saved: "草稿已保存", "Draft saved";
            tpl_submitted: "已提交，等待另一位人员复核发布", "Submitted; another person reviews and publishes it";
            tpl_published: "已发布：此后生成的合同使用该版本", "Published: contracts drawn up from now on use this version";
            tpl_retired: "已停用", "Retired";

            // ---- contracts: verification (public)
            vf_title: "合同验真", "Verify a contract";
            vf_sub: "上传本行导出的电子合同文件，核验它是否由本行签章且未被改动。文件只用于本次核验，不会保存。", "Upload a contract file the bank exported to check that the bank sealed it and that it has not been changed. The file is only checked, never kept.";
            vf_choose: "选择合同文件", "Choose the contract file";
            vf_check: "开始验证", "Check";
            vf_checking: "验证中…", "Checking…";
            vf_valid: "有效", "Valid";
            vf_invalid: "无效", "Not valid";
            vf_valid_detail: "该文件是本行签章的合同，签章后内容未被改动", "The bank sealed this contract and not one byte has changed since";
            vf_reason: "原因", "Why";
            vf_reason_no_seal: "文件中没有本行的电子签章，不是本行导出的合同文件", "The file has no seal of the bank; it is not a contract file the bank exported";
            vf_reason_seal_damaged: "电子签章部分已损坏", "The seal part of the file is damaged";
            vf_reason_content_damaged: "合同内容已损坏，无法读取", "The contract part of the file is damaged and cannot be read";
            vf_reason_changed: "合同内容在签章后被改动过", "The contract was changed after it was sealed";
            vf_reason_other_key: "签章不是本行的电子签章", "The seal is not this bank's";
            vf_reason_seal_invalid: "电子签章校验不通过", "The seal does not match the contract";
            vf_reason_not_on_record: "与本行记录中同一编号的合同不一致", "It differs from the bank's record of the contract with this number";
            vf_reason_unknown: "无法确认该文件是本行签章的合同", "The file could not be confirmed as a contract the bank sealed";
        } } $($rest)*
    };
}

use super::Texts;
use domain::contract::{ContractKind, SignerRole};
use domain::view::{ContractStatus, TemplateStatus};

impl Texts {
    /// A contract's kind: 借款合同, 保证合同, 抵押合同.
    pub fn contract_kind(&self, k: ContractKind) -> &'static str {
        match k {
            ContractKind::Loan => self.ct_kind_loan,
            ContractKind::Guarantee => self.ct_kind_guarantee,
            ContractKind::Mortgage => self.ct_kind_mortgage,
        }
    }

    /// Where a contract is: 待签署, 已签署, 已作废.
    pub fn contract_status(&self, s: ContractStatus) -> &'static str {
        match s {
            ContractStatus::Generated => self.ct_status_generated,
            ContractStatus::Signed => self.ct_status_signed,
            ContractStatus::Voided => self.ct_status_voided,
        }
    }

    /// In what capacity someone signed.
    pub fn signer_role(&self, r: SignerRole) -> &'static str {
        match r {
            SignerRole::Borrower => self.ct_signer_borrower,
            SignerRole::Guarantor => self.ct_signer_guarantor,
            SignerRole::Bank => self.ct_signer_bank,
        }
    }

    /// Where a template version is in its life.
    pub fn template_status(&self, s: TemplateStatus) -> &'static str {
        match s {
            TemplateStatus::Draft => self.tpl_status_draft,
            TemplateStatus::Submitted => self.tpl_status_submitted,
            TemplateStatus::Published => self.tpl_status_published,
            TemplateStatus::Retired => self.tpl_status_retired,
        }
    }
}
