//! Texts of pre-credit (整村授信) and offers (预授信额度), both locales.
//! One area of the key table: see `super` for how the areas make one `Texts`.

macro_rules! texts_precredit {
    ($next:ident { $($acc:tt)* } $($rest:ident)*) => {
        $next! { { $($acc)*
            // ---- pre-credit (整村授信) and offers (预授信额度)
            wl_title: "白名单导入", "Whitelist import";
            wl_sub: "上传 Excel（.xlsx）：表头为 身份证号、姓名、手机号、村、建议额度（元）；正确的行立即批量决策，有问题的行逐行列出原因", "Upload an Excel file (.xlsx) with the headers ID number, name, phone, village, suggested limit (yuan); good rows are decided at once, each bad row is listed with its reason";
            wl_file: "选择文件", "File";
            wl_upload: "导入并决策", "Import and decide";
            wl_reading: "读取中…", "Reading…";
            wl_too_large: "文件过大（最多 1.4 MB），请拆分后分批导入", "The file is too large (1.4 MB at most); split it and import the parts";
            wl_no_file: "请先选择一个 .xlsx 文件", "Choose an .xlsx file first";
            wl_report: "读取 {rows} 行：导入 {imported} 行（新客户 {new} 位），{bad} 行有问题", "Read {rows} rows: {imported} imported ({new} new customers), {bad} with problems";
            wl_col_row: "行号", "Row";
            wl_col_column: "列", "Column";
            wl_col_value: "内容", "Value";
            wl_col_reason: "原因", "Reason";
            wlr_bad_id_number: "身份证号无效", "Invalid ID number";
            wlr_name_missing: "缺少姓名", "Name missing";
            wlr_name_mismatch: "姓名与本行客户记录不一致", "The name differs from the bank's customer record";
            wlr_phone_required: "缺少手机号", "Phone missing";
            wlr_phone_invalid: "手机号格式不对", "Invalid phone number";
            wlr_phone_taken: "手机号已被其他客户使用", "The phone belongs to another customer";
            wlr_authorisation_invalid: "征信授权书编号须为 1 至 60 个字", "The authorisation form number must be 1 to 60 characters";
            wlr_duplicate_phone: "手机号在文件中重复", "The phone appears twice in the file";
            wlr_duplicate_row: "与前面的行重复", "Duplicates an earlier row";
            wlr_unknown_village: "找不到该村", "Unknown village";
            wlr_ambiguous_village: "村名不唯一，请加上乡镇", "Several villages have this name; add the township";
            wlr_village_out_of_scope: "该村不在您的辖内", "The village is outside your area";
            wlr_customer_out_of_scope: "该客户不在您的辖内", "The customer is outside your area";
            wlr_limit_not_number: "建议额度不是数字", "The suggested limit is not a number";
            wlr_limit_not_positive: "建议额度必须大于零", "The suggested limit must be more than zero";
            wlr_limit_above_product_max: "建议额度超过产品最高额度", "The suggested limit is above the product's maximum";
            nav_precredit: "整村授信", "Village pre-credit";
            pc_title: "整村授信 · 批量预授信", "Village pre-credit";
            pc_sub: "用产品生效的审批规则，批量决策辖内每一户；通过的户可一键生成预授信额度，客户在手机上确认即可用信", "Decides every household in your area with the product's live rules; approved households can be offered a pre-approved line the customer accepts on the phone";
            pc_new: "发起批量预授信", "Start a pre-credit run";
            pc_scope_hint: "选一个村（整村授信），或全辖：辖内全部村的全部农户", "Pick one village (whole-village pre-credit), or the whole area: every household of every village in it";
            pc_whole_area: "全辖（{scope}）", "Whole area ({scope})";
            pc_households: "{n} 户", "{n} households";
            pc_product: "产品", "Product";
            pc_use_bureau: "批量查询征信（已取得授权的农户）", "Pull credit reports in bulk (where authorised)";
            pc_start: "开始", "Start";
            pc_started: "已开始，进度每几秒刷新", "Started; progress refreshes every few seconds";
            pc_none: "还没有批量预授信任务", "No pre-credit runs yet";
            pc_col_scope: "范围", "Scope";
            pc_col_progress: "进度", "Progress";
            pc_col_results: "通过 / 转人工 / 拒绝 / 跳过", "Approved / referred / rejected / skipped";
            pc_col_created: "发起", "Started by";
            pc_pause: "暂停", "Pause";
            pc_resume: "继续", "Resume";
            pc_cancel: "取消", "Cancel";
            pc_open: "结果", "Results";
            pc_refresh: "刷新", "Refresh";
            pc_requested: "将在当前批次结束后{what}", "Will {what} after the current chunk";
            pcs_queued: "排队中", "Queued";
            pcs_running: "运行中", "Running";
            pcs_paused: "已暂停", "Paused";
            pcs_completed: "已完成", "Completed";
            pcs_failed: "失败", "Failed";
            pcs_cancelled: "已取消", "Cancelled";
            pc_back: "← 批量预授信", "← Pre-credit runs";
            pc_filter_all: "全部", "All";
            pc_outcome_skipped: "跳过", "Skipped";
            pc_col_village: "村", "Village";
            pc_col_limit: "预授信额度", "Pre-approved limit";
            pc_col_offer: "要约", "Offer";
            pc_offer_needs_checker: "名单由您发起：邀约须由另一位有权人员复核后发放", "You started this list: someone else with the right must check it and make the offers";
            pc_offer_all: "为全部通过户生成预授信额度", "Offer every approved household a line";
            pc_offered: "已生成 {n} 笔预授信额度，跳过 {skipped} 笔（已有要约）", "{n} offers made, {skipped} skipped (already offered)";
            pc_results_note: "显示前 200 条", "First 200 shown";
            offer_title: "您有一笔预授信额度", "You have a pre-approved credit line";
            offer_limit: "预授信额度", "Pre-approved limit";
            offer_rate: "年利率", "Annual rate";
            offer_line_months: "额度有效期 {n} 个月", "Line valid for {n} months";
            offer_expires: "请在 {date} 前确认", "Accept by {date}";
            offer_officer: "客户经理 {name}", "Account officer {name}";
            offer_accept: "接受额度", "Accept";
            offer_decline: "暂不需要", "No, thanks";
            offer_status_offered: "待确认", "Open";
            offer_status_accepted: "已接受", "Accepted";
            offer_status_declined: "已放弃", "Declined";
            offer_status_withdrawn: "已撤回", "Withdrawn";
            offer_status_expired: "已过期", "Expired";
        } $($rest)* }
    };
}
