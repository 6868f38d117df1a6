//! The approval flow's tasks (待办): inbox, the task on an application's file,
//! reassignment, and the staff–customer relations that bar a task.

use crate::application::{ApplicationStatus, Decision};
use crate::error_code::ErrorCode;
use crate::money::Fen;
use serde::{Deserialize, Serialize};

/// A task with what its holder (or the branch head watching it) needs to
/// see in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxTask {
    pub task: FlowTaskView,
    pub customer_name: String,
    pub id_number_masked: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub amount: Fen,
    pub term_months: u32,
    pub branch_name: String,
    pub status: ApplicationStatus,
    pub overdue: bool,
}

/// A declared staff–customer relation (回避申报), as its declarer and the
/// branch head see it: the customer masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRelationView {
    pub staff_name: String,
    pub customer_name_masked: String,
    pub id_number_masked: String,
    pub relation: crate::duty::Relation,
    pub declared_at: i64,
}

/// Someone a branch head could give a task to, as the reassignment form
/// lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReassignOption {
    pub staff_id: crate::id::StaffId,
    pub name: String,
    pub branch_name: String,
    /// In the application's branch (else elsewhere in the bank).
    pub same_branch: bool,
    /// Open tasks they hold now.
    pub workload: u32,
    pub workload_cap: u32,
    /// Why the service would refuse them, or `None`.
    pub blocked: Option<ErrorCode>,
}

/// The open task the viewer holds on an application's current node, when
/// it is one with no form of its own (admission, documents, review,
/// contract, collateral, disbursement): they agree or, where the node
/// allows, refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyTask {
    pub task_id: crate::id::TaskId,
    pub version: i64,
    pub node_kind: crate::flow::NodeType,
    pub can_reject: bool,
}

/// Where a task (待办) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Someone holds it and has not finished it.
    Open,
    /// Nobody could be given it (no one on the post, or everyone excluded):
    /// it waits for the branch head.
    Unassigned,
    Done,
    /// Taken from its holder and given to someone else.
    Reassigned,
    /// The application left the node another way.
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [Self; 5] = [
        Self::Open,
        Self::Unassigned,
        Self::Done,
        Self::Reassigned,
        Self::Cancelled,
    ];

    /// As stored in `flow_tasks.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Unassigned => "unassigned",
            Self::Done => "done",
            Self::Reassigned => "reassigned",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Still to be worked: held or waiting for someone.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::Unassigned)
    }
}

/// One task of an application's approval flow (待办), as its file shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowTaskView {
    pub id: crate::id::TaskId,
    pub application_id: crate::id::ApplicationId,
    pub node_id: String,
    pub node_kind: crate::flow::NodeType,
    pub round: u32,
    pub post: crate::duty::Post,
    pub assignee_id: Option<crate::id::StaffId>,
    pub assignee_name: Option<String>,
    pub status: TaskStatus,
    /// Hidden (None) from everyone else while parallel opinions are sealed.
    pub opinion: Option<Decision>,
    pub comment: Option<String>,
    pub due_at: Option<i64>,
    pub escalated_at: Option<i64>,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub version: i64,
}
