//! Texts of the staff workbench's pages, both locales.
//! One area of the key table: see `super` for how the areas make one `Texts`.

macro_rules! texts_staff {
    ($next:ident { $($acc:tt)* } $($rest:ident)*) => {
        $next! { { $($acc)*
            // ---- staff: collateral (押品) and its custody (出入库)
            ledger_shown: "显示最近 {shown} 笔，共 {total} 笔", "The newest {shown} of {total} postings";
            clt_title: "押品", "Collateral";
            clt_required: "该产品需抵（质）押", "Collateral required";
            clt_loan_amount: "贷款金额", "Loan amount";
            clt_total_value: "押品评估价值合计", "Total valuation";
            clt_ltv: "抵质押率", "Loan-to-value";
            clt_ltv_of_cap: "抵质押率（上限 {cap}）", "Loan-to-value (cap {cap})";
            clt_ready: "押品已登记、入库且价值充足，可以放款", "Collateral registered, in the vault and sufficient: ready for payout";
            clt_kind: "押品类型", "Kind";
            clt_owner: "所有权人", "Owner";
            clt_certificate: "权证号", "Certificate no.";
            clt_registration: "抵押登记证明号", "Registration no.";
            clt_registration_optional: "抵押登记证明号（已登记时填写）", "Registration no. (once registered)";
            clt_unregistered: "未登记", "Not registered";
            clt_valuation: "评估价值", "Valuation";
            clt_valuation_yuan: "评估价值（元）", "Valuation (yuan)";
            clt_valued_on: "评估日期", "Valued on";
            clt_valuer: "评估机构", "Valuer";
            clt_description: "押品描述", "Description";
            clt_custody: "权证保管", "Custody";
            clt_asked_by: "{name} 申请，待复核", "Asked by {name}, awaiting confirmation";
            clt_register: "录入", "Save";
            clt_ask_in: "申请入库", "Ask to put in the vault";
            clt_ask_out: "申请出库", "Ask to release";
            clt_confirm: "复核通过", "Confirm";
            clt_refuse: "退回", "Refuse";
            clt_done: "已办理", "Done";
            clt_record_title: "登记押品", "Record collateral";
            clt_save: "保存押品", "Save collateral";
            clt_recorded: "押品已登记", "Collateral recorded";
            clt_kind_house: "房产", "House";
            clt_kind_land_right: "土地经营权", "Land-use right";
            clt_kind_vehicle: "机动车", "Vehicle";
            clt_kind_equipment: "机器设备", "Equipment";
            clt_kind_deposit_slip: "存单（质押）", "Deposit slip (pledge)";
            clt_kind_receivable: "应收账款（质押）", "Receivables (pledge)";
            clt_custody_registered: "已登记，未入库", "Recorded, not in the vault";
            clt_custody_in_pending: "入库待复核", "Into the vault: awaiting confirmation";
            clt_custody_in_vault: "在库", "In the vault";
            clt_custody_out_pending: "出库待复核", "Release: awaiting confirmation";
            clt_custody_released: "已出库", "Released";
            gtr_title: "保证人", "Guarantors";
            gtr_required: "该产品为保证贷款", "Guarantor required";
            gtr_ready: "保证人均已通过审查并签署保证合同，可以放款", "Every guarantor is checked and has signed: ready for payout";
            gtr_name: "保证人姓名", "Guarantor's name";
            gtr_relation: "与借款人关系", "Relation to the borrower";
            gtr_note: "工作单位或经营项目", "Work or business";
            gtr_bureau: "征信评分", "Bureau score";
            gtr_score_synthetic: "{n}（开发环境模拟数据）", "{n} (development data)";
            gtr_no_history: "无信贷记录（白户）", "No credit history";
            gtr_declined_why: "未通过原因", "Declined because";
            gtr_consented_at: "授权时间", "Consented at";
            gtr_signed_at: "签署时间", "Signed at";
            gtr_consent_text: "请保证人本人阅读：本人自愿为借款人的本笔贷款提供连带责任保证，并授权本行查询本人征信报告。同意请将手机收到的验证码告知或自行输入。", "For the guarantor to read: I agree to give joint and several guarantee for this loan and let the bank query my credit report. If you agree, enter the code sent to your phone.";
            gtr_confirm_consent: "确认授权并查询征信", "Confirm consent and check";
            gtr_checking: "正在查询征信…", "Checking at the bureau…";
            gtr_recheck: "重新查询征信", "Ask the bureau again";
            gtr_remove: "移除", "Remove";
            gtr_done: "已办理", "Done";
            gtr_draw_contract: "生成保证合同", "Draw up the guarantee contract";
            gtr_contract_drawn: "保证合同已生成，请保证人逐一面签", "Guarantee contract drawn up: each guarantor signs in person";
            gtr_signed_of: "保证人已签 {n} / {of} 人", "{n} of {of} guarantors signed";
            gtr_sign_title: "{name} 面签保证合同", "{name} signs the guarantee contract";
            gtr_sign_hint: "请保证人本人先阅读本栏“保证合同”的全文（点开“查看合同全文”），再输入手机收到的验证码，并在下方手写签名。", "The guarantor first reads the guarantee contract in this panel (open its full text), then enters the code sent to their phone and signs below.";
            gtr_contract_pending: "保证合同已生成，等待保证人逐一面签", "Drawn up: waiting for each guarantor to sign in person";
            gtr_signed: "保证人已签署", "Guarantor signed";
            gtr_record_title: "登记保证人", "Record a guarantor";
            gtr_save: "保存保证人", "Save guarantor";
            gtr_recorded: "保证人已登记", "Guarantor recorded";
            gtr_rel_relative: "亲属", "Relative";
            gtr_rel_neighbour: "同村村民/邻居", "Neighbour";
            gtr_rel_friend: "朋友", "Friend";
            gtr_rel_colleague: "同事", "Colleague";
            gtr_rel_business_partner: "生意伙伴/合作社社员", "Business partner";
            gtr_rel_other: "其他", "Other";
            gtr_status_recorded: "待授权", "Awaiting consent";
            gtr_status_consented: "已授权，待征信结果", "Consented, awaiting the bureau";
            gtr_status_accepted: "征信通过，待签署", "Checked, to sign";
            gtr_status_declined: "征信未通过", "Declined";
            gtr_status_signed: "已签署", "Signed";
            gtr_status_removed: "已移除", "Removed";
            gtr_decline_blacklisted: "列入失信或黑名单", "On the blacklist";
            gtr_decline_serious_delinquency: "有严重逾期记录（3 个月以上）", "Serious delinquency (3+ months)";
            gtr_decline_low_score: "征信评分低于 550", "Bureau score under 550";
            gtr_decline_too_many_lenders: "多头借贷（5 家及以上机构）", "Borrowing from 5 or more lenders";
            // ---- staff: disbursement (放款) and the customer's bank account
            disb_title: "放款", "Disbursement";
            disb_contract: "借款合同", "Loan contract";
            disb_contract_signed: "客户已签署", "Signed by the customer";
            disb_contract_waiting: "等待客户在手机上签署", "Waiting for the customer to sign on the phone";
            disb_accounts: "收款账户", "Account to pay into";
            disb_no_account: "客户尚未绑定银行卡", "The customer has not bound a bank card";
            disb_account_verified: "已验证", "Verified";
            disb_account_failed: "未通过验证", "Not verified";
            disb_bind_title: "柜面登记收款账户", "Register the account at the counter";
            disb_bind_hint: "请客户本人在场，核对银行卡后录入。系统将通过支付通道核验账户与客户的姓名、身份证号和手机号是否一致。", "With the customer present and the card checked. The payment channel checks the account against the customer's name, ID number and phone.";
            disb_account_no: "银行卡号 / 账号", "Card or account number";
            disb_bank_name: "开户银行", "Bank";
            disb_bind: "核验并绑定", "Check and bind";
            disb_bound: "账户已核验并绑定", "The account is checked and bound";
            disb_pay: "确认放款 {amount} 元", "Pay out {amount} yuan";
            disb_paying: "正在放款…", "Paying out…";
            disb_paid: "放款成功，贷款已入账", "Paid out; the loan is booked";
            disb_payouts: "放款记录", "Payouts";
            disb_col_time: "时间", "Time";
            disb_col_amount: "金额（元）", "Amount (yuan)";
            disb_col_account: "收款账户", "Account";
            disb_col_status: "结果", "Result";
            disb_col_by: "经办人", "By";
            disb_status_pending: "处理中", "In progress";
            disb_status_succeeded: "成功", "Paid";
            disb_status_failed: "失败", "Failed";
            disb_pending_hint: "放款指令已发出，正在等待银行结果。结果到达后本页会自动更新。", "The payout is sent and waiting for the bank. This page updates when the answer comes.";
            disb_reason_account_frozen: "收款账户已冻结", "The account is frozen";
            disb_reason_account_mismatch: "账户与客户身份信息不符", "The account does not match the customer";
            disb_reason_provider_unavailable: "支付通道不可用", "The payment channel was unavailable";
            disb_reason_not_received: "支付通道未收到指令", "The channel never received the order";
            disb_reason_other: "银行退回", "Returned by the bank";
            disb_dev_note: "开发环境放款通道：不会真实划款；卡号尾号 0000 模拟信息不符，尾号 4444 模拟账户冻结，金额尾数 .55 元模拟结果延迟（稍后异步通知）", "Development payout channel: no money moves; cards ending 0000 do not match, ending 4444 are frozen, amounts ending .55 answer late (by notice)";
            // ---- staff: how a credit-bureau inquiry went
            inquiry_ok: "查询成功", "Answered";
            inquiry_failed: "查询失败", "Failed";
            inquiry_timeout: "查询超时", "Timed out";
            inquiry_no_consent: "无授权，未查询", "Not asked: no consent";
            // ---- staff: login and layout
            staff_portal: "信贷工作台", "Lending workbench";
            staff_login_title: "员工登录", "Staff sign-in";
            username: "用户名", "Username";
            password: "密码", "Password";
            demo_hint: "演示账号见启动日志，如 officer1 / approver1 / head1，密码 puhui2026", "Demo logins are printed at start-up, e.g. officer1 / approver1 / head1, password puhui2026";
            nav_work: "工作台", "Work";
            nav_manage: "管理", "Management";
            nav_system: "系统", "System";
            nav_tasks: "我的待办", "My tasks";
            nav_dashboard: "经营驾驶舱", "Dashboard";
            nav_audit: "审计日志", "Audit log";
            nav_outbox: "短信发件箱", "SMS outbox";
            customer_site: "客户端首页", "Customer site";

            // ---- staff: tasks
            tasks_title: "待办任务", "Tasks";
            tasks_sub: "按时限排序，先到期先办", "Soonest due first";
            col_task: "任务", "Task";
            col_customer: "客户", "Customer";
            col_id_number: "证件号码", "ID number";
            col_product: "产品", "Product";
            col_amount: "金额（元）", "Amount (yuan)";
            col_term: "期限", "Term";
            col_status: "状态", "Status";
            col_submitted: "提交时间", "Submitted";
            col_received: "收到时间", "Received";
            col_branch: "网点", "Branch";
            col_action: "操作", "Action";
            open_task: "办理", "Open";
            no_tasks: "暂无待办任务，做得好！", "No tasks waiting. Well done!";

            // ---- staff: application
            application_title: "贷款申请", "Loan application";
            section_application: "申请信息", "Application";
            section_customer: "客户信息", "Customer";
            section_investigation: "下户调查报告", "On-site investigation";
            section_approval: "审批", "Approval";
            view_portrait: "查看客户画像", "Open customer portrait";
            purpose: "借款用途", "Purpose";
            rate: "执行利率", "Rate";
            method: "还款方式", "Repayment";
            officer: "客户经理", "Officer";
            branch: "网点", "Branch";
            submitted_at: "提交时间", "Submitted";
            consent_at: "征信授权时间", "Credit consent";
            visited_on: "调查日期", "Visit date";
            household_income: "家庭年收入（元）", "Household income a year (yuan)";
            household_assets: "家庭资产（元）", "Household assets (yuan)";
            household_debts: "家庭负债（元）", "Household debts (yuan)";
            findings: "调查结论", "Findings";
            findings_placeholder: "经营情况、家庭情况、还款来源、风险点等", "Business, family, source of repayment, risks";
            recommendation: "调查意见", "Recommendation";
            rec_approve: "建议批准", "Approve";
            rec_reject: "建议拒绝", "Decline";
            recommended_amount: "建议金额（元）", "Recommended amount (yuan)";
            save_investigation: "提交调查报告", "Submit investigation";
            investigator: "调查人", "Investigator";
            decision_comment: "审批意见", "Approval comment";
            approve: "批准", "Approve";
            reject: "拒绝", "Decline";
            approver: "审批人", "Approver";
            decision: "审批结论", "Decision";
            loan_created: "贷款已生成", "Loan created";
            view_loan: "查看贷款", "Open loan";
            waiting_investigation: "等待客户经理提交调查报告", "Waiting for the officer's investigation";
            no_permission_decide: "您没有本笔业务的审批权限", "You cannot approve this application";
            investigation_saved: "调查报告已提交，已转审批岗", "Investigation submitted and passed to approval";
            decision_saved: "审批结论已保存", "Decision saved";

            // ---- staff: portrait
            portrait_title: "客户画像", "Customer portrait";
            identity: "身份信息", "Identity";
            gender: "性别", "Gender";
            age: "年龄", "Age";
            age_n: "{n}岁", "{n}";
            id_number: "身份证号", "ID number";
            phone: "手机号", "Mobile";
            occupation: "职业", "Occupation";
            household: "家庭信息", "Household";
            village: "村", "Village";
            township: "乡镇", "Township";
            address: "住址", "Address";
            members: "家庭人口", "Members";
            annual_income: "家庭年收入（元）", "Income a year (yuan)";
            land_area: "耕地面积（亩）", "Farmland (mu)";
            main_business: "主营", "Main business";
            member_list: "家庭成员", "Members";
            relation: "关系", "Relation";
            applications: "贷款申请", "Applications";
            loans: "贷款", "Loans";
            none: "无", "None";
            auth_title: "征信查询授权", "Credit inquiry authorisation";
            auth_none: "未记录有效的授权书：预授信时不查询其征信", "No authorisation in force: pre-credit will not query the credit bureau about this customer";
            auth_in_force: "授权书 {evidence}，{from} 签署，有效至 {to}", "Form {evidence}, signed {from}, valid until {to}";
            auth_evidence: "授权书编号", "Form number";
            auth_signed_on: "签署日期（不填即今天）", "Signed on (today if left empty)";
            auth_record: "记录授权", "Record authorisation";
            auth_recorded: "已记录授权", "Authorisation recorded";
            audit_system: "系统", "System";
            pfi_notice: "个人金融信息已脱敏显示，查看记录已写入审计日志", "Personal financial information is masked; this view is recorded in the audit log";

            // ---- staff: loan
            loan_title: "贷款详情", "Loan";
            start_date: "起息日", "Start date";

            // ---- staff: dashboard
            dashboard_title: "经营驾驶舱", "Dashboard";
            kpi_applications: "申请总数", "Applications";
            kpi_active_loans: "在贷笔数", "Active loans";
            kpi_outstanding: "贷款余额（元）", "Outstanding (yuan)";
            kpi_approval_rate: "审批通过率", "Approval rate";
            chart_by_status: "申请状态分布", "Applications by status";
            chart_per_day: "近30天每日申请量", "Applications per day, last 30 days";
            chart_series_applications: "申请笔数", "Applications";

            // ---- staff: the end-of-day batch
            nav_eod: "日终跑批", "End of day";
            eod_title: "日终跑批", "End-of-day batch";
            eod_sub: "每日计提利息、罚息，转逾期并更新五级分类", "Daily interest and penalty accrual, overdue and loan classification";
            eod_schedule: "服务器每天 {at}（北京时间）自动运行；服务器停机错过的日期在下次启动时补跑", "The server runs it daily at {at} (China time); a day missed while it was down is caught up at the next start";
            eod_no_schedule: "本服务器未安排自动跑批（PUHUI_EOD_AT=off），请由运维以 puhui eod 运行", "This server does not schedule the batch (PUHUI_EOD_AT=off): operations run it with puhui eod";
            eod_none: "还没有跑批记录", "No runs yet";
            eod_col_date: "会计日", "Business date";
            eod_col_loans: "贷款（已处理/应处理）", "Loans (done / to do)";
            eod_col_postings: "分录", "Postings";
            eod_col_interest: "计提利息", "Interest accrued";
            eod_col_penalty: "计提罚息", "Penalty accrued";
            eod_col_overdue: "新增逾期", "Newly overdue";
            eod_col_time: "开始 – 结束", "Started – finished";
            eod_attempts: "第 {n} 次", "attempt {n}";
            eod_elapsed: "耗时 {s} 秒", "{s} s";
            eod_rerun_by: "{name} 发起重跑", "rerun by {name}";
            eod_catch_up: "错过的日期不必逐日重跑：每笔贷款会逐日补计到所跑的会计日。", "Missed days need no run each: every loan catches up day by day to the date run.";
            eod_rerun_date: "会计日", "Business date";
            eod_rerun: "重跑", "Rerun";
            eod_rerun_hint: "中断或失败的跑批从断点继续；已完成的日期不会重复计提", "A stopped or failed run continues where it stopped; a completed date is never accrued twice";
            eod_rerun_started: "已开始重跑，进度见下表", "Rerun started: its progress is below";
            eod_running: "运行中", "Running";
            eod_completed: "已完成", "Completed";
            eod_failed: "失败", "Failed";

            // ---- staff: audit and outbox
            audit_title: "审计日志", "Audit log";
            audit_sub: "只追加、哈希链防篡改的操作记录", "Append-only, hash-chained record of every change";
            chain_ok: "哈希链校验通过：共 {n} 条记录", "Hash chain verified: {n} entries";
            chain_bad: "哈希链在第 {seq} 条记录处校验失败，日志可能被篡改", "Hash chain broken at entry {seq}: the log may have been tampered with";
            chain_incremental: "（本次从第 {seq} 条起校验新增记录；全量校验每小时一次）", "(this check read the entries from {seq} on; the whole log is checked every hour)";
            chain_signed: "已有 {n} 个签名检查点，最近一个签至第 {seq} 条", "{n} signed checkpoints, the latest up to entry {seq}";
            chain_checkpoint_bad: "第 {seq} 条处的签名检查点与日志不符：此前的记录被改写，或此后的记录被删除", "The signed checkpoint at entry {seq} no longer matches the log: entries before it were rewritten, or entries after it removed";
            col_seq: "序号", "No.";
            col_time: "时间", "Time";
            col_actor: "操作人", "Actor";
            col_operation: "操作", "Action";
            col_object: "对象", "Object";
            col_change: "变更内容", "Change";
            older: "更早的记录", "Older entries";
            newest: "最新记录", "Newest";
            outbox_title: "短信发件箱（开发通道）", "SMS outbox (development provider)";
            outbox_note: "开发环境短信通道不会真正发送短信，所有消息记录于此，供开发和测试查看验证码。", "The development SMS provider sends nothing; every message is kept here so developers and tests can read the codes.";
            col_phone: "手机号", "Mobile";
            col_body: "内容", "Message";
            col_provider: "通道", "Provider";
            sms_sent: "已发送", "Sent";
            sms_failed: "发送失败", "Failed";


            // ---- staff: account security (second factor)


            // ---- staff: passwords and the second factor
            totp_title: "双因素登录（身份验证器）", "Two-factor sign-in (authenticator app)";
            totp_required_intro: "您的岗位（管理员、审批人）要求登录时除密码外再输入手机身份验证器生成的动态码。绑定后才能继续办理业务。", "Your role (administrator, approver) requires a code from an authenticator app on your phone besides the password. Add one to continue.";
            totp_optional_intro: "绑定后，登录时除密码外还需输入手机身份验证器中的动态码，账号被盗用的风险大大降低。", "Once added, signing in asks for a code from the authenticator app on your phone besides the password.";
            totp_step_install: "在手机上安装身份验证器 App（如腾讯身份验证器、Microsoft Authenticator、Google Authenticator）。", "Install an authenticator app on your phone (Tencent Authenticator, Microsoft or Google Authenticator).";
            totp_step_scan: "在 App 中添加账号，扫描下方二维码。", "In the app, add an account and scan the QR code below.";
            totp_step_confirm: "输入 App 显示的 6 位动态码", "Enter the 6-digit code the app shows";
            totp_manual: "无法扫码时，在 App 中手动输入以下密钥：", "If you cannot scan, type this key into the app:";
            totp_qr_alt: "身份验证器二维码", "Authenticator QR code";
            totp_confirm: "完成绑定", "Add the app";
            totp_add: "绑定身份验证器", "Add an authenticator app";
            totp_on: "已开启", "On";
            totp_off: "未开启", "Off";
            totp_on_hint: "登录时需要输入身份验证器中的动态码。更换或丢失手机时，请联系系统管理员重置。", "Signing in asks for the app's code. If you change or lose your phone, ask an administrator to reset it.";
            totp_code: "动态码", "Authenticator code";
            totp_code_hint: "打开手机上的身份验证器，输入当前显示的 6 位数字", "Open the authenticator app on your phone and enter the 6 digits it shows";
            security_title: "账户安全", "Account security";
            nav_security: "账户安全", "Account security";
            password_change_title: "设置新密码", "Choose a new password";
            password_change_intro: "您正在使用一次性密码登录（首次登录或密码已被重置），或密码已使用满 90 天。请设置只有您自己知道的新密码后继续办理业务。", "You signed in with a one-time password (first sign-in, or a reset), or your password is 90 days old. Choose a new password only you know to continue.";
            password_current: "当前密码（一次性密码）", "Current (one-time) password";
            password_new: "新密码", "New password";
            password_repeat: "再次输入新密码", "New password again";
            password_rules: "至少 10 个字符，同时包含字母和数字，不能包含用户名或常见密码", "At least 10 characters, letters and digits, not your username nor a common password";
            password_save: "保存新密码", "Save the new password";
        } $($rest)* }
    };
}
